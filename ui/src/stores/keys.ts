// API keys for the local API: listed (never the keys themselves), created
// (the caller shows the key once) and revoked.
import { create } from "zustand";
import { commands, IpcError, type ApiKeyInfo, type CreatedKey, type Role } from "../ipc";
import { toIpcError } from "../ipc/call";

type KeysState = {
  keys: ApiKeyInfo[] | null;
  error: IpcError | null;
  load: () => Promise<void>;
  /** Makes a key and reloads the list; rejects with an IpcError. */
  create: (name: string, role: Role) => Promise<CreatedKey>;
  /** Revokes a key and reloads the list; rejects with an IpcError. */
  revoke: (id: number) => Promise<void>;
};

export const useKeysStore = create<KeysState>((set, get) => ({
  keys: null,
  error: null,
  load: async () => {
    try {
      set({ keys: await commands.listApiKeys(), error: null });
    } catch (err) {
      set({ error: toIpcError(err) });
    }
  },
  create: async (name, role) => {
    try {
      const created = await commands.createApiKey(name, role);
      await get().load();
      return created;
    } catch (err) {
      throw toIpcError(err);
    }
  },
  revoke: async (id) => {
    try {
      await commands.revokeApiKey(id);
    } catch (err) {
      throw toIpcError(err);
    } finally {
      await get().load();
    }
  },
}));
