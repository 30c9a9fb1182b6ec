// The message bus as the Messages view shows it: one page of messages under
// the current filters, the message open in the detail panel, and the topics
// with their subscribers. All reload on `message-changed` (a burst of
// changes — a broadcast to 69 agents — collapses into one more reload).
import { create } from "zustand";
import {
  commands,
  events,
  IpcError,
  onEvent,
  type DeliveryStatus,
  type Message,
  type MessageDetail,
  type MessageEvent,
  type MessagePage,
  type MessageQuery,
  type MessageType,
  type NewMessage,
  type Topic,
} from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

/** How many messages the list shows (newest first). */
export const PAGE_SIZE = 200;

export type MessageFilter = {
  /** Sent by or to this agent (or `hub`). */
  agent: string | null;
  messageType: MessageType | null;
  /** With at least one delivery in this state. */
  status: DeliveryStatus | null;
};

/** The list query for a filter. */
export function queryOf(filter: MessageFilter): MessageQuery {
  return {
    agent: filter.agent,
    topic: null,
    messageType: filter.messageType,
    status: filter.status,
    limit: PAGE_SIZE,
    offset: null,
  };
}

/** Whether a change may concern the open message: its own deliveries, or a
 * reply to it (a reply's `sent` names the reply, so any `sent` reloads). */
export function concerns(change: MessageEvent, id: string): boolean {
  return change.messageId === id || change.change === "sent";
}

type MessagesState = {
  filter: MessageFilter;
  page: MessagePage | null;
  /** Why the last list load failed (the page before stays shown). */
  error: IpcError | null;
  loading: boolean;
  topics: Topic[] | null;
  topicsError: IpcError | null;
  /** The message open in the detail panel. */
  selected: string | null;
  detail: MessageDetail | null;
  detailError: IpcError | null;
  /** Why the last re-queue was refused. */
  actionError: IpcError | null;
  setFilter: (change: Partial<MessageFilter>) => void;
  load: () => Promise<void>;
  loadTopics: () => Promise<void>;
  select: (id: string | null) => void;
  loadDetail: () => Promise<void>;
  /** Sends, opens the new message and reloads; with `waitMs`, sends it as a
   * request and resolves with the reply (opening the request). Rejects with
   * an IpcError saying why the engine refused, or that no reply came. */
  send: (message: NewMessage, waitMs?: number) => Promise<Message>;
  requeue: (id: string) => Promise<void>;
  /** Reloads on every change; returns the function that stops following. */
  follow: () => () => void;
};

export const useMessagesStore = create<MessagesState>((set, get) => ({
  filter: { agent: null, messageType: null, status: null },
  page: null,
  error: null,
  loading: false,
  topics: null,
  topicsError: null,
  selected: null,
  detail: null,
  detailError: null,
  actionError: null,
  setFilter: (change) => {
    set({ filter: { ...get().filter, ...change } });
    void get().load();
  },
  load: coalesced(
    async () => {
      try {
        set({ page: await commands.listMessages(queryOf(get().filter)), error: null });
      } catch (err) {
        set({ error: toIpcError(err) });
      }
    },
    (loading) => set({ loading }),
  ),
  loadTopics: coalesced(
    async () => {
      try {
        set({ topics: await commands.listTopics(), topicsError: null });
      } catch (err) {
        set({ topicsError: toIpcError(err) });
      }
    },
    () => {},
  ),
  select: (id) => {
    if (id === get().selected) return;
    set({ selected: id, detail: null, detailError: null, actionError: null });
    if (id) void get().loadDetail();
  },
  loadDetail: coalesced(
    async () => {
      const id = get().selected;
      if (!id) return;
      try {
        const detail = await commands.getMessage(id);
        if (get().selected === id) set({ detail, detailError: null });
      } catch (err) {
        if (get().selected === id) set({ detailError: toIpcError(err) });
      }
    },
    () => {},
  ),
  send: async (message, waitMs) => {
    try {
      if (waitMs === undefined) {
        const sent = await commands.sendMessage(message);
        get().select(sent.id);
        return sent;
      }
      const reply = await commands.requestMessage(message, waitMs);
      if (reply.correlationId) get().select(reply.correlationId);
      return reply;
    } catch (err) {
      throw toIpcError(err);
    } finally {
      void get().load();
    }
  },
  requeue: async (id) => {
    set({ actionError: null });
    try {
      const detail = await commands.requeueMessage(id);
      if (get().selected === id) set({ detail });
    } catch (err) {
      set({ actionError: toIpcError(err) });
    }
    void get().load();
  },
  follow: () => {
    const unlisten = onEvent(events.messageChanged, (change) => {
      void get().load();
      const selected = get().selected;
      if (selected && concerns(change, selected)) void get().loadDetail();
    });
    return () => {
      void unlisten.then((stop) => stop());
    };
  },
}));
