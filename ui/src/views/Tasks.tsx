// Tasks: submit one, follow the list live, and open one to see where the
// router sent it and why, each attempt, and its result.
import { useEffect } from "react";
import { useNow } from "../components/time";
import { useCapabilitiesStore } from "../stores/catalog";
import { useTasksStore } from "../stores/tasks";
import { SubmitForm } from "./tasks/SubmitForm";
import { TaskDetail } from "./tasks/TaskDetail";
import { StatusChips, TaskFilters, TaskTable } from "./tasks/TaskList";
import "./Tasks.css";

export function Tasks() {
  const capabilities = useCapabilitiesStore((s) => s.data);
  const capabilitiesError = useCapabilitiesStore((s) => s.error);
  const loadCapabilities = useCapabilitiesStore((s) => s.load);
  const followCapabilities = useCapabilitiesStore((s) => s.follow);
  const page = useTasksStore((s) => s.page);
  const error = useTasksStore((s) => s.error);
  const filter = useTasksStore((s) => s.filter);
  const setFilter = useTasksStore((s) => s.setFilter);
  const load = useTasksStore((s) => s.load);
  const follow = useTasksStore((s) => s.follow);
  const selected = useTasksStore((s) => s.selected);
  const detail = useTasksStore((s) => s.detail);
  const detailError = useTasksStore((s) => s.detailError);
  const actionError = useTasksStore((s) => s.actionError);
  const select = useTasksStore((s) => s.select);
  const cancel = useTasksStore((s) => s.cancel);
  const requeue = useTasksStore((s) => s.requeue);
  const now = useNow(1000);

  useEffect(() => {
    void loadCapabilities();
    return followCapabilities();
  }, [loadCapabilities, followCapabilities]);
  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);

  const open = selected !== null;
  return (
    <div className={open ? "tasks with-detail" : "tasks"}>
      {capabilitiesError && (
        <p className="problem" role="alert" data-testid="capabilities-error">
          {capabilitiesError.message}
        </p>
      )}
      <SubmitForm capabilities={capabilities ?? []} />

      {page && (
        <StatusChips counts={page.counts} current={filter.status} onPick={(status) => setFilter({ status })} />
      )}
      <TaskFilters
        filter={filter}
        capabilities={capabilities ?? []}
        shown={page?.tasks.length ?? 0}
        total={page?.total ?? 0}
        onChange={setFilter}
      />
      {error && (
        <p className="problem" role="alert" data-testid="tasks-error">
          {error.message}
        </p>
      )}

      <div className="tasks-layout">
        <div className="table-scroll card">
          {page ? (
            <TaskTable tasks={page.tasks} selected={selected} now={now} onOpen={select} />
          ) : (
            !error && <p className="muted">Loading the tasks…</p>
          )}
        </div>
        {open && detailError && (
          <p className="problem" role="alert" data-testid="task-detail-error">
            {detailError.message}
          </p>
        )}
        {open && detail && (
          <TaskDetail
            task={detail}
            now={now}
            actionError={actionError}
            onCancel={() => void cancel(detail.id)}
            onRequeue={() => void requeue(detail.id)}
            onClose={() => select(null)}
          />
        )}
      </div>
    </div>
  );
}
