import { defineConfig, type Plugin } from "vitest/config";
import react from "@vitejs/plugin-react";

/** The app freezes Object.prototype (Tauri's `freezePrototype`, against
 * prototype pollution). d3-color (under @xyflow/react's d3-zoom) assigns
 * `constructor` and `toString` onto objects that inherit them, which a
 * frozen prototype refuses ("the override mistake"); it defines them as
 * own properties instead. */
function d3ColorOnFrozenPrototype(): Plugin {
  const own = (target: string, key: string, value: string) =>
    `Object.defineProperty(${target}, ${key}, {value: ${value}, writable: true, configurable: true, enumerable: true})`;
  return {
    name: "d3-color-on-frozen-prototype",
    transform(code, id) {
      if (!id.includes("d3-color")) return null;
      const patched = code
        .replace("prototype.constructor = constructor;", `${own("prototype", '"constructor"', "constructor")};`)
        .replace("for (var key in definition) prototype[key] = definition[key];", `for (var key in definition) ${own("prototype", "key", "definition[key]")};`);
      if (patched === code) this.error("d3-color changed: re-check what freezePrototype refuses in it");
      return { code: patched, map: null };
    },
  };
}

// The app embeds ui/dist; the dev server is only for `npm run tauri dev`.
export default defineConfig({
  plugins: [react(), d3ColorOnFrozenPrototype()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "safari16", outDir: "dist", emptyOutDir: true },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"], setupFiles: ["src/testSetup.ts"] },
});
