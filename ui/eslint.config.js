import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ["**/*.{ts,tsx}"],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // The backend is reached only through src/ipc.
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@tauri-apps/api/core",
              message: "call the backend through src/ipc (typed commands)",
            },
            {
              name: "@tauri-apps/api/event",
              message: "listen through src/ipc (typed events)",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/ipc/**"],
    rules: { "no-restricted-imports": "off" },
  },
);
