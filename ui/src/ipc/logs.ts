// Followed logs arrive on a Tauri Channel; it is made here so that no other
// module imports @tauri-apps/api/core.
import { Channel } from "@tauri-apps/api/core";

/** A channel for `commands.followLogs` that hands each chunk to `onChunk`. */
export function logChannel(onChunk: (chunk: string) => void): Channel<string> {
  const channel = new Channel<string>();
  channel.onmessage = onChunk;
  return channel;
}
