import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ConfigReport } from "../ipc";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { Settings } = await import("./Settings");

afterEach(cleanup);

describe("Settings", () => {
  it("shows each value with its origin, and the problems found", async () => {
    const report: ConfigReport = {
      file: "/home/u/.config/sutazai/config.toml",
      fileFound: true,
      values: [
        { key: "ollama_url", value: "http://gpu:11434/", source: { kind: "env", var: "SUTAZAI_OLLAMA_URL" }, help: "" },
        { key: "log_level", value: "debug", source: { kind: "file", path: "/c.toml" }, help: "" },
        { key: "probe_timeout_ms", value: "3000", source: { kind: "default" }, help: "" },
      ],
      issues: [{ origin: "/c.toml", key: "colour", problem: "unknown key; known keys are data_dir" }],
    };
    invoke.mockResolvedValueOnce(report);
    render(<Settings />);
    expect((await screen.findByTestId("config-ollama_url-source")).textContent).toBe(
      "environment SUTAZAI_OLLAMA_URL",
    );
    expect(screen.getByTestId("config-log_level-source").textContent).toBe("file /c.toml");
    expect(screen.getByTestId("config-probe_timeout_ms-source").textContent).toBe("default");
    expect(screen.getByTestId("config-issue").textContent).toBe("/c.toml key colour: unknown key; known keys are data_dir");
    expect(invoke).toHaveBeenCalledWith("config_report", undefined);
  });
});
