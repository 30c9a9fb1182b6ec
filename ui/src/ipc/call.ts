// The one place that calls Tauri's `invoke`. Every rejection becomes an
// IpcError with a code, so views decide by code, never by message text.
import { invoke } from "@tauri-apps/api/core";
import type { Code, ErrorBody } from "./types";

/** Codes the backend sends, plus one for failures of the bridge itself. */
export type ErrorCode = Code | "ipc_failed";

export class IpcError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "IpcError";
    this.code = code;
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ErrorBody).code === "string" &&
    typeof (value as ErrorBody).message === "string"
  );
}

export function toIpcError(err: unknown): IpcError {
  if (err instanceof IpcError) return err;
  if (isErrorBody(err)) return new IpcError(err.code, err.message);
  return new IpcError("ipc_failed", err instanceof Error ? err.message : String(err));
}

export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toIpcError(err);
  }
}
