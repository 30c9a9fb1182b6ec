import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EngineStatus } from "../ipc";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn(() => Promise.resolve(() => {})) }));

const { useStatusStore } = await import("../stores/status");
const { Overview } = await import("./Overview");

const base: EngineStatus = {
  dockerEndpoint: "unix:///var/run/docker.sock",
  docker: { state: "checking" },
  ollamaUrl: "http://127.0.0.1:11434/",
  ollama: { state: "checking" },
  data: {
    dataDir: "/home/u/.local/share/sutazai",
    database: "/home/u/.local/share/sutazai/sutazai.db",
    schemaVersion: 1,
    logDir: "/home/u/.local/share/sutazai/logs",
    uncleanPreviousRuns: 0,
  },
  checkedAtMs: 0,
};

function show(status: EngineStatus) {
  useStatusStore.setState({ status, error: null, refreshing: false });
  render(<Overview />);
}

afterEach(cleanup);

describe("Overview", () => {
  it("says the first check is under way", () => {
    show(base);
    expect(screen.getByTestId("docker-state").textContent).toBe("Checking…");
    expect(screen.getByTestId("checked-at").textContent).toBe("First check under way…");
  });

  it("shows what a connected Docker engine and Ollama report", () => {
    show({
      ...base,
      docker: {
        state: "connected",
        version: "20.10.24+dfsg1",
        apiVersion: "1.41",
        os: "linux",
        arch: "amd64",
        containersRunning: 3,
        containersTotal: 5,
      },
      ollama: { state: "connected", version: "0.12.6", modelCount: 4 },
      checkedAtMs: Date.now(),
    });
    expect(screen.getByTestId("docker-state").textContent).toBe("Connected");
    expect(screen.getByTestId("docker-version").textContent).toBe("20.10.24+dfsg1");
    expect(screen.getByTestId("docker-containers").textContent).toBe("3 running of 5");
    expect(screen.getByTestId("ollama-models").textContent).toBe("4");
    expect(screen.getByTestId("checked-at").textContent).toBe("Checked just now");
  });

  it("explains an unreachable service by its code", () => {
    show({
      ...base,
      docker: { state: "unreachable", code: "docker_refused", message: "Docker at unix:///x refused the connection" },
      ollama: { state: "unreachable", code: "ollama_unreachable", message: "nothing answers at http://127.0.0.1:1/" },
    });
    expect(screen.getByTestId("docker-state").textContent).toBe("Not reachable");
    expect(screen.getByTestId("docker-problem").textContent).toContain("refused the connection");
    expect(screen.getByText(/systemctl start docker/)).toBeTruthy();
    expect(screen.getByText(/ollama serve/)).toBeTruthy();
  });
});
