import { describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { call, IpcError, toIpcError } = await import("./call");

describe("call", () => {
  it("returns what the command returns", async () => {
    invoke.mockResolvedValueOnce({ ok: 1 });
    await expect(call("engine_status")).resolves.toEqual({ ok: 1 });
    expect(invoke).toHaveBeenLastCalledWith("engine_status", undefined);
  });

  it("turns a backend error body into an IpcError with its code", async () => {
    invoke.mockRejectedValueOnce({ code: "data_dir", message: "cannot create the data dir /x" });
    const err = await call("engine_status").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect((err as InstanceType<typeof IpcError>).code).toBe("data_dir");
    expect((err as Error).message).toBe("cannot create the data dir /x");
  });

  it("classifies failures of the bridge itself as ipc_failed", () => {
    expect(toIpcError("Command engine_status not allowed by ACL").code).toBe("ipc_failed");
    expect(toIpcError(new Error("boom")).message).toBe("boom");
  });
});
