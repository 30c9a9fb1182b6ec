// Tasks: one page of the list under the current filters, and the task open
// in the detail panel. Both reload on `tasks-changed`, which the shell sends
// at most every 200 ms however fast tasks change.
import { create } from "zustand";
import {
  commands,
  events,
  IpcError,
  onEvent,
  type NewTask,
  type Task,
  type TaskPage,
  type TaskQuery,
  type TasksChanged,
  type TaskStatus,
} from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

/** How many tasks the list shows (newest first). */
export const PAGE_SIZE = 200;

export type TaskFilter = {
  status: TaskStatus | null;
  capability: string | null;
};

/** The list query for a filter. */
export function queryOf(filter: TaskFilter): TaskQuery {
  const query: TaskQuery = { limit: PAGE_SIZE };
  if (filter.status) query.status = [filter.status];
  if (filter.capability) query.capability = filter.capability;
  return query;
}

/** Whether a change event may concern the task `id`. */
export function concerns(changed: TasksChanged, id: string): boolean {
  return !changed.complete || changed.tasks.some((t) => t.id === id);
}

type TasksState = {
  filter: TaskFilter;
  page: TaskPage | null;
  /** Why the last list load failed (the page before stays shown). */
  error: IpcError | null;
  loading: boolean;
  /** The task open in the detail panel. */
  selected: string | null;
  detail: Task | null;
  detailError: IpcError | null;
  /** Why the last cancel or re-queue was refused. */
  actionError: IpcError | null;
  setFilter: (change: Partial<TaskFilter>) => void;
  load: () => Promise<void>;
  select: (id: string | null) => void;
  loadDetail: () => Promise<void>;
  /** Submits, opens the new task and reloads the list; rejects with an
   * IpcError saying why the engine refused. */
  submit: (task: NewTask) => Promise<Task>;
  cancel: (id: string) => Promise<void>;
  requeue: (id: string) => Promise<void>;
  /** Reloads on every change; returns the function that stops following. */
  follow: () => () => void;
};

export const useTasksStore = create<TasksState>((set, get) => {
  async function act(run: () => Promise<Task>) {
    set({ actionError: null });
    try {
      const task = await run();
      if (get().selected === task.id) set({ detail: task });
    } catch (err) {
      set({ actionError: toIpcError(err) });
    }
    void get().load();
  }

  return {
    filter: { status: null, capability: null },
    page: null,
    error: null,
    loading: false,
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
          set({ page: await commands.listTasks(queryOf(get().filter)), error: null });
        } catch (err) {
          set({ error: toIpcError(err) });
        }
      },
      (loading) => set({ loading }),
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
          const task = await commands.getTask(id);
          if (get().selected === id) set({ detail: task, detailError: null });
        } catch (err) {
          if (get().selected === id) set({ detailError: toIpcError(err) });
        }
      },
      () => {},
    ),
    submit: async (task) => {
      let created: Task;
      try {
        created = await commands.submitTask(task);
      } catch (err) {
        throw toIpcError(err);
      }
      get().select(created.id);
      set({ detail: created });
      void get().load();
      return created;
    },
    cancel: (id) => act(() => commands.cancelTask(id)),
    requeue: (id) => act(() => commands.requeueTask(id)),
    follow: () => {
      const unlisten = onEvent(events.tasksChanged, (changed) => {
        void get().load();
        const selected = get().selected;
        if (selected && concerns(changed, selected)) void get().loadDetail();
      });
      return () => {
        void unlisten.then((stop) => stop());
      };
    },
  };
});
