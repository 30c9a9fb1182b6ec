import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConfigReport } from "../ipc";
import { backend } from "../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { Settings } = await import("./Settings");

beforeEach(() => {
  invoke.mockReset();
});
afterEach(cleanup);

describe("Settings", () => {
  it("shows each value with its origin, the problems found and the warnings", async () => {
    const report: ConfigReport = {
      file: "/home/u/.config/sutazai/config.toml",
      fileFound: true,
      values: [
        { key: "ollama_url", value: "http://gpu:11434/", source: { kind: "env", var: "SUTAZAI_OLLAMA_URL" }, help: "" },
        { key: "log_level", value: "debug", source: { kind: "file", path: "/c.toml" }, help: "" },
        { key: "probe_timeout_ms", value: "3000", source: { kind: "default" }, help: "" },
      ],
      issues: [{ origin: "/c.toml", key: "colour", problem: "unknown key; known keys are data_dir" }],
      warnings: [
        {
          origin: "environment variable SUTAZAI_API_LISTEN",
          key: "api_listen",
          problem: "the local API listens on 0.0.0.0:10200, where other machines may reach it",
        },
      ],
    };
    backend(invoke, { config_report: report });
    render(<Settings />);
    expect((await screen.findByTestId("config-ollama_url-source")).textContent).toBe(
      "environment SUTAZAI_OLLAMA_URL",
    );
    expect(screen.getByTestId("config-log_level-source").textContent).toBe("file /c.toml");
    expect(screen.getByTestId("config-probe_timeout_ms-source").textContent).toBe("default");
    expect(screen.getByTestId("config-issue").textContent).toBe("/c.toml key colour: unknown key; known keys are data_dir");
    expect(screen.getByTestId("config-warning").textContent).toBe(
      "environment variable SUTAZAI_API_LISTEN key api_listen: the local API listens on 0.0.0.0:10200, where other machines may reach it",
    );
    expect(invoke).toHaveBeenCalledWith("config_report", undefined);
    // API keys moved to the Security view.
    expect(screen.queryByTestId("api-keys")).toBeNull();
    expect(invoke.mock.calls.map((c) => c[0])).toEqual(["config_report"]);
  });
});
