import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The app embeds ui/dist; the dev server is only for `npm run tauri dev`.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "safari16", outDir: "dist", emptyOutDir: true },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
});
