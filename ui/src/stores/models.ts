// Models: Ollama's status and models with the agents using each, starting an
// installed Ollama, and the one pull the view runs at a time (progress over a
// Channel, cancellable).
import { create } from "zustand";
import { commands, IpcError, pullChannel, type ModelsOverview } from "../ipc";
import { toIpcError } from "../ipc/call";
import { advance, modelNameProblem, startPull, type PullState } from "./pull";

type ModelsState = {
  overview: ModelsOverview | null;
  /** Why the last load failed (the IPC itself; Ollama down is in `overview`). */
  error: IpcError | null;
  loading: boolean;
  pull: PullState | null;
  /** Why the last pull failed; null after a success or a cancel. */
  pullError: string | null;
  cancelling: boolean;
  deleteError: string | null;
  /** True from a click on Start Ollama until Ollama answers or the wait ends. */
  starting: boolean;
  /** Why the last start failed, or that Ollama never answered. */
  startError: string | null;
  /** How long a started Ollama may take to answer, and how often to ask. */
  startWaitMs: number;
  startPollMs: number;
  load: () => Promise<void>;
  /** Starts the installed `ollama serve`, then asks until it answers or
   * `startWaitMs` passed (never rejects, never waits longer). */
  startOllama: () => Promise<void>;
  /** Starts a pull; resolves when it ends (never rejects). */
  startPull: (name: string) => Promise<void>;
  cancelPull: () => Promise<void>;
  deleteModel: (name: string) => Promise<void>;
};

export const useModelsStore = create<ModelsState>((set, get) => ({
  overview: null,
  error: null,
  loading: false,
  pull: null,
  pullError: null,
  cancelling: false,
  deleteError: null,
  starting: false,
  startError: null,
  startWaitMs: 20_000,
  startPollMs: 1000,
  load: async () => {
    set({ loading: true });
    try {
      set({ overview: await commands.listModels(), error: null });
    } catch (err) {
      set({ error: toIpcError(err) });
    } finally {
      set({ loading: false });
    }
  },
  startOllama: async () => {
    if (get().starting) return;
    set({ starting: true, startError: null });
    let logDir: string;
    try {
      logDir = (await commands.startOllama()).logDir;
    } catch (err) {
      set({ starting: false, startError: toIpcError(err).message });
      return;
    }
    const { startWaitMs, startPollMs } = get();
    const deadline = Date.now() + startWaitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, startPollMs));
      await get().load();
      if (get().overview?.ollama.state === "up") {
        set({ starting: false });
        return;
      }
    }
    const url = get().overview?.ollamaUrl ?? "the configured URL";
    set({
      starting: false,
      startError: `Ollama was started but did not answer at ${url} within ${Math.round(startWaitMs / 1000)} s. Its output is in the app log in ${logDir}.`,
    });
  },
  startPull: async (raw) => {
    const name = raw.trim();
    const problem = modelNameProblem(name);
    if (problem) {
      set({ pullError: problem });
      return;
    }
    if (get().pull) return;
    set({ pull: startPull(name, Date.now()), pullError: null, cancelling: false });
    const channel = pullChannel((line) => {
      const pull = get().pull;
      if (pull && pull.name === name) set({ pull: advance(pull, line, Date.now()) });
    });
    try {
      await commands.pullModel(name, channel);
    } catch (err) {
      // A cancel the user asked for is not a failure.
      if (!get().cancelling) set({ pullError: toIpcError(err).message });
    }
    set({ pull: null, cancelling: false });
    await get().load();
  },
  cancelPull: async () => {
    const pull = get().pull;
    if (!pull) return;
    set({ cancelling: true });
    try {
      await commands.cancelPull(pull.name);
    } catch (err) {
      set({ cancelling: false, pullError: toIpcError(err).message });
    }
  },
  deleteModel: async (name) => {
    set({ deleteError: null });
    try {
      await commands.deleteModel(name);
    } catch (err) {
      set({ deleteError: toIpcError(err).message });
    }
    await get().load();
  },
}));
