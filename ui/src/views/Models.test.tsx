import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GatewayStats, ModelsOverview, PullProgress, UsageTotal } from "../ipc";
import { backend, callsOf, FakeChannel } from "../ipc/testing";
import { advance, modelNameProblem, startPull } from "../stores/pull";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  Channel: FakeChannel,
}));

const { useModelsStore } = await import("../stores/models");
const { useGatewayStore } = await import("../stores/gateway");
const { Models } = await import("./Models");

const UP: ModelsOverview = {
  ollama: { state: "up", version: "0.5.7" },
  ollamaUrl: "http://127.0.0.1:11434/",
  ollamaProgram: "/usr/local/bin/ollama",
  ollamaLocal: true,
  models: [
    {
      model: {
        name: "tinyllama:latest",
        size: 637_000_000,
        digest: "abc",
        modifiedAt: "2026-01-01T00:00:00Z",
        family: "llama",
        parameterSize: "1B",
        quantizationLevel: "Q4_0",
      },
      loaded: { name: "tinyllama:latest", size: 900_000_000, sizeVram: 0, expiresAt: "2026-01-01T00:05:00Z", contextLength: null },
      preferredBy: [{ id: "AG-001", title: "Coordinator" }],
      fallbackFor: [],
    },
  ],
  unservedAgents: [{ agent: { id: "AG-003", title: "Assigner" }, preferred: "llama3.2:1b", fallback: "phi3:mini" }],
  pulling: [],
};

const DOWN: ModelsOverview = {
  ollama: { state: "down", code: "ollama_unreachable", message: "nothing answers at http://127.0.0.1:11434/" },
  ollamaUrl: "http://127.0.0.1:11434/",
  ollamaProgram: null,
  ollamaLocal: true,
  models: [],
  unservedAgents: [],
  pulling: [],
};

const DOWN_INSTALLED: ModelsOverview = { ...DOWN, ollamaProgram: "/usr/local/bin/ollama" };

const NO_CALLS: GatewayStats = { usage: [], byModel: [], byCaller: [] };

function total(name: string, change: Partial<UsageTotal>): UsageTotal {
  return {
    name,
    calls: 0,
    cacheHits: 0,
    errors: 0,
    fallbacks: 0,
    tokensIn: 0,
    tokensOut: 0,
    cacheHitRate: 0,
    latencyP50Ms: 0,
    latencyP95Ms: 0,
    latencyMaxMs: 0,
    ...change,
  };
}

const SOME_CALLS: GatewayStats = {
  usage: [],
  byModel: [
    total("tinyllama:latest", { calls: 12, cacheHits: 3, cacheHitRate: 0.25, tokensIn: 1234, tokensOut: 56789, latencyP95Ms: 1840, errors: 1 }),
  ],
  byCaller: [
    total("AG-001", { calls: 10, cacheHits: 3, cacheHitRate: 0.3, latencyP95Ms: 420, fallbacks: 2 }),
    total("desktop", { calls: 2 }),
  ],
};

function send(line: PullProgress) {
  const channel = callsOf(invoke, "pull_model")[0]?.onProgress as FakeChannel<PullProgress>;
  act(() => channel.onmessage(line));
}

beforeEach(() => {
  invoke.mockReset();
  useModelsStore.setState(useModelsStore.getInitialState(), true);
  useGatewayStore.setState({ stats: null, error: null });
});
afterEach(cleanup);

describe("Models", () => {
  it("shows the models, the agents preferring them and the unserved agents", async () => {
    backend(invoke, {
      gateway_stats: NO_CALLS, list_models: UP });
    render(<Models />);
    expect(await screen.findByText("0.5.7")).toBeTruthy();
    expect(screen.getByTestId("model-row-tinyllama:latest").textContent).toContain("637.0 MB");
    expect(screen.getByTestId("model-preferred-tinyllama:latest").textContent).toBe("AG-001");
    // The unserved agents are one line until asked for.
    expect(screen.getByTestId("unserved-agents").textContent).toContain("1 agent without a model");
    expect(screen.queryByTestId("unserved-list")).toBeNull();
    fireEvent.click(screen.getByTestId("unserved-toggle"));
    expect(screen.getByTestId("unserved-list").textContent).toContain("llama3.2:1b");
    fireEvent.click(screen.getByTestId("unserved-toggle"));
    expect(screen.queryByTestId("unserved-list")).toBeNull();
  });

  it("shows why Ollama is down and retries", async () => {
    let answer = DOWN;
    backend(invoke, {
      gateway_stats: NO_CALLS, list_models: () => answer });
    render(<Models />);
    expect((await screen.findByTestId("ollama-status")).textContent).toContain("nothing answers");
    answer = UP;
    fireEvent.click(screen.getByTestId("models-retry"));
    expect(await screen.findByText("0.5.7")).toBeTruthy();
  });

  it("refuses a bad name before calling the backend", async () => {
    backend(invoke, {
      gateway_stats: NO_CALLS, list_models: UP });
    render(<Models />);
    fireEvent.change(screen.getByTestId("pull-name"), { target: { value: "bad name" } });
    expect(screen.getByTestId("pull-name-problem").textContent).toContain("spaces");
    expect((screen.getByTestId("pull-start") as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows progress, then the reason of a failed pull with no pull left", async () => {
    let fail: (err: unknown) => void = () => {};
    backend(invoke, {
      gateway_stats: NO_CALLS,
      list_models: UP,
      pull_model: () => new Promise((_, reject) => (fail = reject)),
    });
    render(<Models />);
    fireEvent.change(screen.getByTestId("pull-name"), { target: { value: "llama3.2:1b" } });
    fireEvent.click(screen.getByTestId("pull-start"));
    await waitFor(() => expect(callsOf(invoke, "pull_model")).toHaveLength(1));
    send({ status: "pulling abc", digest: "sha256:abc", total: 1000, completed: 250 });
    expect(screen.getByTestId("pull-progress").textContent).toContain("25%");
    act(() => fail({ code: "ollama_error", message: "Ollama answered 200: pull model manifest: file does not exist" }));
    expect((await screen.findByTestId("pull-error")).textContent).toContain("file does not exist");
    expect(screen.queryByTestId("pull-progress")).toBeNull();
  });

  it("cancels a pull without reporting an error", async () => {
    let fail: (err: unknown) => void = () => {};
    backend(invoke, {
      gateway_stats: NO_CALLS,
      list_models: UP,
      pull_model: () => new Promise((_, reject) => (fail = reject)),
      cancel_pull: () => {
        fail({ code: "conflict", message: "the pull was cancelled" });
        return true;
      },
    });
    render(<Models />);
    fireEvent.change(screen.getByTestId("pull-name"), { target: { value: "llama3.2:1b" } });
    fireEvent.click(screen.getByTestId("pull-start"));
    fireEvent.click(await screen.findByTestId("pull-cancel"));
    await waitFor(() => expect(screen.queryByTestId("pull-progress")).toBeNull());
    expect(screen.queryByTestId("pull-error")).toBeNull();
    expect(callsOf(invoke, "cancel_pull")).toEqual([{ name: "llama3.2:1b" }]);
  });

  it("deletes only after the confirmation", async () => {
    backend(invoke, {
      gateway_stats: NO_CALLS, list_models: UP, delete_model: null });
    render(<Models />);
    fireEvent.click(await screen.findByTestId("model-delete-tinyllama:latest"));
    expect(callsOf(invoke, "delete_model")).toHaveLength(0);
    fireEvent.click(screen.getByTestId("model-delete-confirm-tinyllama:latest"));
    await waitFor(() => expect(callsOf(invoke, "delete_model")).toEqual([{ name: "tinyllama:latest" }]));
  });
});

describe("pull helpers", () => {
  it("measures speed within a layer", () => {
    let s = startPull("m", 0);
    s = advance(s, { status: "pulling a", digest: "a", total: 1000, completed: 0 }, 1000);
    s = advance(s, { status: "pulling a", digest: "a", total: 1000, completed: 500 }, 2000);
    expect(s.speed).toBe(500);
  });

  it("checks names like the engine", () => {
    expect(modelNameProblem("llama3.2:1b")).toBeNull();
    expect(modelNameProblem("../x")).toContain("..");
    expect(modelNameProblem("a;b")).toContain(";");
  });
});

describe("Start Ollama", () => {
  it("is offered only when Ollama is down and the program is installed", async () => {
    let answer = UP;
    backend(invoke, { gateway_stats: NO_CALLS, list_models: () => answer });
    render(<Models />);
    await screen.findByText("0.5.7");
    expect(screen.queryByTestId("ollama-start")).toBeNull();

    answer = DOWN;
    fireEvent.click(screen.getByTestId("models-retry"));
    const notInstalled = await screen.findByTestId("ollama-not-installed");
    expect(notInstalled.textContent).toContain("https://ollama.com/download");
    expect(notInstalled.textContent).toContain("http://127.0.0.1:11434/");
    expect(screen.queryByTestId("ollama-start")).toBeNull();

    answer = DOWN_INSTALLED;
    fireEvent.click(screen.getByTestId("models-retry"));
    expect((await screen.findByTestId("ollama-start")).textContent).toBe("Start Ollama");
    expect(screen.queryByTestId("ollama-not-installed")).toBeNull();

    // Something answers but too slowly: an Ollama runs already, so no second one.
    answer = { ...DOWN_INSTALLED, ollama: { state: "down", code: "ollama_timeout", message: "Ollama did not answer within 3000 ms" } };
    fireEvent.click(screen.getByTestId("models-retry"));
    await waitFor(() => expect(screen.getByTestId("ollama-status").textContent).toContain("3000 ms"));
    expect(screen.queryByTestId("ollama-start")).toBeNull();

    // Another computer's URL: nothing to start here, and the view says so.
    answer = { ...DOWN_INSTALLED, ollamaLocal: false, ollamaUrl: "http://gpu-box.lan:11434/" };
    fireEvent.click(screen.getByTestId("models-retry"));
    expect((await screen.findByTestId("ollama-remote")).textContent).toContain("http://gpu-box.lan:11434/");
    expect(screen.queryByTestId("ollama-start")).toBeNull();
  });

  it("starts it with no arguments, says starting, and shows it once it answers", async () => {
    useModelsStore.setState({ startPollMs: 10 });
    let answer = DOWN_INSTALLED;
    backend(invoke, {
      gateway_stats: NO_CALLS,
      list_models: () => answer,
      start_ollama: () => ({ pid: 42, program: "/usr/local/bin/ollama", host: "127.0.0.1:11434", logDir: "/data/logs" }),
    });
    render(<Models />);
    fireEvent.click(await screen.findByTestId("ollama-start"));
    expect(await screen.findByTestId("ollama-starting")).toBeTruthy();
    expect(screen.getByTestId("ollama-start").textContent).toBe("Starting…");
    expect((screen.getByTestId("ollama-start") as HTMLButtonElement).disabled).toBe(true);
    expect(invoke.mock.calls.find((c) => c[0] === "start_ollama")).toEqual(["start_ollama", undefined]);
    // It keeps asking while Ollama is still down.
    await waitFor(() => expect(callsOf(invoke, "list_models").length).toBeGreaterThan(2));
    expect(screen.getByTestId("ollama-start").textContent).toBe("Starting…");
    answer = UP;
    expect(await screen.findByText("0.5.7")).toBeTruthy();
    expect(screen.queryByTestId("ollama-start")).toBeNull();
    expect(screen.queryByTestId("ollama-start-error")).toBeNull();
    expect(useModelsStore.getState().starting).toBe(false);
  });

  it("gives up after the wait and names the log", async () => {
    useModelsStore.setState({ startPollMs: 5, startWaitMs: 60 });
    backend(invoke, {
      gateway_stats: NO_CALLS,
      list_models: DOWN_INSTALLED,
      start_ollama: { pid: 42, program: "/usr/local/bin/ollama", host: "127.0.0.1:11434", logDir: "/data/logs" },
    });
    render(<Models />);
    fireEvent.click(await screen.findByTestId("ollama-start"));
    const error = await screen.findByTestId("ollama-start-error");
    expect(error.textContent).toContain("did not answer at http://127.0.0.1:11434/");
    expect(error.textContent).toContain("/data/logs");
    expect(screen.getByTestId("ollama-start").textContent).toBe("Start Ollama");
    expect(screen.queryByTestId("ollama-starting")).toBeNull();
  });

  it("shows why a start was refused", async () => {
    backend(invoke, {
      gateway_stats: NO_CALLS,
      list_models: DOWN_INSTALLED,
      start_ollama: () => {
        throw { code: "conflict", message: "ollama serve is already running (pid 42); see the app log for its output" };
      },
    });
    render(<Models />);
    fireEvent.click(await screen.findByTestId("ollama-start"));
    expect((await screen.findByTestId("ollama-start-error")).textContent).toContain("already running");
    expect(callsOf(invoke, "list_models")).toHaveLength(1);
  });
});

describe("gateway statistics", () => {
  it("says when there were no LLM calls yet", async () => {
    backend(invoke, { gateway_stats: NO_CALLS, list_models: UP });
    render(<Models />);
    expect((await screen.findByTestId("gateway-empty")).textContent).toContain("No LLM calls yet");
    expect(screen.queryByTestId("gateway-table")).toBeNull();
  });

  it("shows the engine's totals per model and per agent", async () => {
    backend(invoke, { gateway_stats: SOME_CALLS, list_models: UP });
    render(<Models />);
    const row = await screen.findByTestId("gateway-row-tinyllama:latest");
    const cells = [...row.querySelectorAll("td")].map((td) => td.textContent);
    expect(cells).toEqual(["tinyllama:latest", "12", "1 234", "56 789", "1.8 s", "25%", "1", "0"]);
    expect(screen.queryByTestId("gateway-row-AG-001")).toBeNull();

    fireEvent.click(screen.getByTestId("gateway-by-caller"));
    const agent = screen.getByTestId("gateway-row-AG-001");
    expect([...agent.querySelectorAll("td")].map((td) => td.textContent)).toEqual(["AG-001", "10", "0", "0", "420 ms", "30%", "0", "2"]);
    // No latency at all (every call from the cache or refused) reads as a dash.
    expect(screen.getByTestId("gateway-row-desktop").querySelectorAll("td")[4]?.textContent).toBe("–");
    expect(screen.getByTestId("gateway-table").querySelector("th")?.textContent).toBe("Agent");
    expect(screen.queryByTestId("gateway-row-tinyllama:latest")).toBeNull();
  });

  it("reads the statistics again while shown, and stops when the view goes", async () => {
    vi.useFakeTimers();
    try {
      let answer = NO_CALLS;
      backend(invoke, { gateway_stats: () => answer, list_models: UP });
      const view = render(<Models />);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(10);
      });
      expect(screen.getByTestId("gateway-empty")).toBeTruthy();
      answer = SOME_CALLS;
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3000);
      });
      expect(screen.getByTestId("gateway-row-tinyllama:latest")).toBeTruthy();
      const reads = callsOf(invoke, "gateway_stats").length;
      view.unmount();
      await act(async () => {
        await vi.advanceTimersByTimeAsync(10_000);
      });
      expect(callsOf(invoke, "gateway_stats")).toHaveLength(reads);
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows why the statistics cannot be read", async () => {
    backend(invoke, {
      list_models: UP,
      gateway_stats: () => {
        throw { code: "engine_unavailable", message: "the engine is not running" };
      },
    });
    render(<Models />);
    expect((await screen.findByTestId("gateway-error")).textContent).toContain("not running");
  });
});
