// The engine's chart SVG made safe to put inline: it is our own backend's
// drawing, but nothing in it may run or load anything.

const REMOVED = new Set(["script", "foreignobject", "iframe", "object", "embed", "image", "use", "a"]);

/** `text` parsed as SVG with scripts, foreign content, event handlers and
 * outside references removed; null when it is not an SVG. */
export function sanitizeSvg(text: string): string | null {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (root.nodeName.toLowerCase() !== "svg" || doc.getElementsByTagName("parsererror").length > 0) return null;
  for (const el of [...root.querySelectorAll("*")]) {
    const name = el.nodeName.toLowerCase();
    if (REMOVED.has(name) || (name === "style" && /@import|url\(\s*['"]?(?!#)/i.test(el.textContent ?? ""))) el.remove();
  }
  for (const el of [root, ...root.querySelectorAll("*")]) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (
        name.startsWith("on") ||
        ((name === "href" || name === "xlink:href") && !value.startsWith("#")) ||
        value.includes("javascript:") ||
        /url\(\s*['"]?(?!#)/.test(value)
      ) {
        el.removeAttribute(attr.name);
      }
    }
  }
  return new XMLSerializer().serializeToString(root);
}
