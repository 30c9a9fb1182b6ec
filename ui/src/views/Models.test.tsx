import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelsOverview, PullProgress } from "../ipc";
import { backend, callsOf, FakeChannel } from "./agents/testing";
import { advance, modelNameProblem, startPull } from "./models/format";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  Channel: FakeChannel,
}));

const { useModelsStore } = await import("../stores/models");
const { Models } = await import("./Models");

const UP: ModelsOverview = {
  ollama: { state: "up", version: "0.5.7" },
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
  models: [],
  unservedAgents: [],
  pulling: [],
};

function send(line: PullProgress) {
  const channel = callsOf(invoke, "pull_model")[0]?.onProgress as FakeChannel<PullProgress>;
  act(() => channel.onmessage(line));
}

beforeEach(() => {
  invoke.mockReset();
  useModelsStore.setState({
    overview: null,
    error: null,
    loading: false,
    pull: null,
    pullError: null,
    cancelling: false,
    deleteError: null,
  });
});
afterEach(cleanup);

describe("Models", () => {
  it("shows the models, the agents preferring them and the unserved agents", async () => {
    backend(invoke, { list_models: UP });
    render(<Models />);
    expect(await screen.findByText("0.5.7")).toBeTruthy();
    expect(screen.getByTestId("model-row-tinyllama:latest").textContent).toContain("637.0 MB");
    expect(screen.getByTestId("model-preferred-tinyllama:latest").textContent).toBe("AG-001");
    expect(screen.getByTestId("unserved-agents").textContent).toContain("llama3.2:1b");
  });

  it("shows why Ollama is down and retries", async () => {
    let answer = DOWN;
    backend(invoke, { list_models: () => answer });
    render(<Models />);
    expect((await screen.findByTestId("ollama-status")).textContent).toContain("nothing answers");
    answer = UP;
    fireEvent.click(screen.getByTestId("models-retry"));
    expect(await screen.findByText("0.5.7")).toBeTruthy();
  });

  it("refuses a bad name before calling the backend", async () => {
    backend(invoke, { list_models: UP });
    render(<Models />);
    fireEvent.change(screen.getByTestId("pull-name"), { target: { value: "bad name" } });
    expect(screen.getByTestId("pull-name-problem").textContent).toContain("spaces");
    expect((screen.getByTestId("pull-start") as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows progress, then the reason of a failed pull with no pull left", async () => {
    let fail: (err: unknown) => void = () => {};
    backend(invoke, {
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
    backend(invoke, { list_models: UP, delete_model: null });
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
