// A fake backend for UI tests: answers `invoke` by command name, a fake
// event bus and a fake Tauri Channel, next to the IPC they stand in for.
// Imported by tests only.
import { act } from "@testing-library/react";
import type { Mock } from "vitest";
import type { Commands } from "./commands";

/** Stands in for Tauri's Channel: the test calls `onmessage` itself. */
export class FakeChannel<T> {
  id = 0;
  onmessage: (message: T) => void = () => {};
}

type Args = Record<string, unknown>;
type Result<K extends keyof Commands> = Commands[K]["result"];
/** What a command answers: a value of its declared result type, or a
 * function of its declared arguments (which may return a promise, or throw
 * to reject). Keyed and typed by the commands `commands.ts` declares, so a
 * fake cannot answer a command that does not exist or with the wrong type. */
export type Answers = {
  [K in keyof Commands]?: Result<K> | ((args: Commands[K]["args"]) => Result<K> | Promise<Result<K>>);
};

/** Routes each `invoke` to `answers[command]`; anything unanswered rejects
 * the way an unavailable engine does. */
export function backend(invoke: Mock, answers: Answers) {
  invoke.mockImplementation((command: string, args: Args = {}) => {
    if (!(command in answers)) {
      return Promise.reject({ code: "engine_unavailable", message: `unexpected ${command}` });
    }
    const answer: unknown = answers[command as keyof Commands];
    try {
      return Promise.resolve(typeof answer === "function" ? (answer as (a: Args) => unknown)(args) : answer);
    } catch (err) {
      return Promise.reject(err);
    }
  });
}

type Handler = (event: { payload: unknown }) => void;

/** A stand-in for Tauri's event system: `listen` as the app calls it, and
 * `emit` for the test. */
export function fakeEvents() {
  const handlers = new Map<string, Set<Handler>>();
  return {
    listen(name: string, handler: Handler): Promise<() => void> {
      const set = handlers.get(name) ?? new Set<Handler>();
      set.add(handler);
      handlers.set(name, set);
      return Promise.resolve(() => {
        set.delete(handler);
      });
    },
    emit(name: string, payload: unknown) {
      for (const handler of [...(handlers.get(name) ?? [])]) handler({ payload });
    },
    count(name: string): number {
      return handlers.get(name)?.size ?? 0;
    },
  };
}

/** The calls of `command` so far, by their arguments. */
export function callsOf(invoke: Mock, command: string): Args[] {
  return invoke.mock.calls.filter((c) => c[0] === command).map((c) => (c[1] ?? {}) as Args);
}

/** Sends `text` down the channel of the latest `follow_logs` call. */
export function sendLog(invoke: Mock, text: string) {
  const calls = callsOf(invoke, "follow_logs");
  const channel = calls[calls.length - 1]?.onChunk as FakeChannel<string> | undefined;
  if (!channel) throw new Error("no log is followed");
  act(() => channel.onmessage(text));
}
