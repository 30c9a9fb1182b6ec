// Pure helpers of the Models view: sizes, counts, latency.

/** Bytes as GB (one decimal) from 1 GB, else MB. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} B`;
}

/** Token counts with thousands grouped (1 234 567). */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US").replace(/,/g, " ");
}

/** A latency in ms or s; "–" for none (every call a cache hit). */
export function formatLatency(ms: number): string {
  if (ms <= 0) return "–";
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** A 0–1 rate as a whole percent. */
export function formatRate(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}
