import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiKeyInfo } from "../../ipc";
import { backend, callsOf } from "../../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { useKeysStore } = await import("../../stores/keys");
const { ApiKeys } = await import("./ApiKeys");

beforeEach(() => {
  invoke.mockReset();
  useKeysStore.setState({ keys: null, error: null });
});
afterEach(cleanup);

function key(id: number, change: Partial<ApiKeyInfo> = {}): ApiKeyInfo {
  return {
    id,
    name: `key-${id}`,
    role: "operator",
    prefix: `sk_0000000${id}`,
    createdMs: Date.now() - 60_000,
    createdBy: "desktop",
    revokedMs: null,
    lastUsedMs: null,
    ...change,
  };
}

describe("API keys", () => {
  it("creates a key, shows it once, and revokes after a confirmation", async () => {
    let keys = [key(1, { lastUsedMs: Date.now() - 5000 })];
    backend(invoke, {
      list_api_keys: () => keys,
      create_api_key: ({ name, role }) => {
        const info = key(2, { name, role, prefix: "sk_1a2b3c4d" });
        keys = [info, ...keys];
        return { key: "sk_1a2b3c4d_0123456789012345678901234567890123456789", info };
      },
      revoke_api_key: ({ keyId }) => {
        keys = keys.map((k) => (k.id === keyId ? { ...k, revokedMs: Date.now() } : k));
        const revoked = keys.find((k) => k.id === keyId);
        if (!revoked) throw { code: "not_found", message: `no key ${keyId}` };
        return revoked;
      },
    });
    render(<ApiKeys />);
    const first = await screen.findByTestId("key-row-1");
    expect(within(first).getAllByRole("cell").map((c) => c.textContent).slice(0, 3)).toEqual([
      "key-1",
      "operator",
      "sk_00000001_…",
    ]);
    expect(first.textContent).toContain("5 s ago");

    expect((screen.getByTestId("key-create") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("key-name"), { target: { value: " ci bot " } });
    fireEvent.change(screen.getByTestId("key-role"), { target: { value: "analyst" } });
    fireEvent.click(screen.getByTestId("key-create"));
    const shown = await screen.findByTestId("key-created-value");
    expect((shown as HTMLInputElement).value).toBe("sk_1a2b3c4d_0123456789012345678901234567890123456789");
    expect(screen.getByTestId("key-created").textContent).toContain("only time");
    expect(callsOf(invoke, "create_api_key")).toEqual([{ name: "ci bot", role: "analyst" }]);
    await screen.findByTestId("key-row-2");
    // Gone once dismissed, and nowhere in the list.
    fireEvent.click(screen.getByTestId("key-created-done"));
    expect(screen.queryByTestId("key-created")).toBeNull();
    expect(screen.getByTestId("api-keys").textContent).not.toContain("0123456789012345678901234567890123456789");

    fireEvent.click(screen.getByTestId("key-revoke-2"));
    expect(callsOf(invoke, "revoke_api_key")).toEqual([]);
    fireEvent.click(screen.getByTestId("key-revoke-confirm-2"));
    expect((await screen.findByTestId("key-revoked-2")).textContent).toBe("revoked just now");
    expect(callsOf(invoke, "revoke_api_key")).toEqual([{ keyId: 2 }]);
    await waitFor(() => expect(screen.queryByTestId("key-revoke-2")).toBeNull());
  });

  it("shows why a name was refused", async () => {
    backend(invoke, {
      list_api_keys: [],
      create_api_key: () => {
        throw { code: "invalid_request", message: "a key name may hold letters, digits, '-', '_', '.' and spaces, not `a/b`" };
      },
    });
    render(<ApiKeys />);
    await screen.findByTestId("keys-none");
    fireEvent.change(screen.getByTestId("key-name"), { target: { value: "a/b" } });
    fireEvent.click(screen.getByTestId("key-create"));
    expect((await screen.findByTestId("key-create-error")).textContent).toContain("not `a/b`");
    expect(screen.queryByTestId("key-created")).toBeNull();
  });
});
