import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
// Global styles first, so that stylesheets imported by the views come after
// them in the bundle and may override them.
import "./styles.css";
import "./views/shared.css";
import { App } from "./App";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
