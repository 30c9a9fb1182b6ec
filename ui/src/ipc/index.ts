// The only door from the UI to the backend: typed commands and events.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { EventPayloads } from "./commands";

export * from "./types";
export * from "./commands";
export { IpcError, type ErrorCode } from "./call";
export { logChannel } from "./logs";
export { pullChannel } from "./pull";

/** Subscribes to one backend event with its typed payload. */
export function onEvent<K extends keyof EventPayloads & string>(
  name: K,
  handler: (payload: EventPayloads[K]) => void,
): Promise<UnlistenFn> {
  return listen<EventPayloads[K]>(name, (event) => handler(event.payload));
}
