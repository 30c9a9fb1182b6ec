// Pull progress arrives on a Tauri Channel; it is made here so that no other
// module imports @tauri-apps/api/core.
import { Channel } from "@tauri-apps/api/core";
import type { PullProgress } from "./types";

/** A channel for `commands.pullModel` that hands each line to `onProgress`. */
export function pullChannel(onProgress: (line: PullProgress) => void): Channel<PullProgress> {
  const channel = new Channel<PullProgress>();
  channel.onmessage = onProgress;
  return channel;
}
