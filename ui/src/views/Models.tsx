// Models: whether Ollama answers, what it has installed and loaded, which
// agents think with each model, the agents left with neither of their
// models, and a pull with live progress.
import { useEffect, useState } from "react";
import type { ModelRow, UnservedAgent } from "../ipc";
import { useModelsStore } from "../stores/models";
import { formatBytes, modelNameProblem, percent } from "./models/format";

export function Models() {
  const overview = useModelsStore((s) => s.overview);
  const error = useModelsStore((s) => s.error);
  const loading = useModelsStore((s) => s.loading);
  const load = useModelsStore((s) => s.load);
  const deleteError = useModelsStore((s) => s.deleteError);

  useEffect(() => {
    void load();
  }, [load]);

  const ollama = overview?.ollama;
  return (
    <div className="models" data-testid="models-view">
      <section className="card" data-testid="ollama-status">
        {error ? (
          <p className="problem" role="alert">
            {error.message}
          </p>
        ) : !ollama ? (
          <p className="muted">Asking Ollama…</p>
        ) : ollama.state === "up" ? (
          <p>
            Ollama <strong>{ollama.version}</strong> is running.
          </p>
        ) : (
          <p className="problem" role="alert">
            Ollama is not available: {ollama.message}
          </p>
        )}
        {(error || ollama?.state === "down" || ollama?.state === "up") && (
          <button type="button" className="btn-sm" data-testid="models-retry" disabled={loading} onClick={() => void load()}>
            {ollama?.state === "up" && !error ? "Refresh" : "Retry"}
          </button>
        )}
      </section>

      {overview && overview.unservedAgents.length > 0 && <Unserved agents={overview.unservedAgents} />}

      <PullForm />

      {deleteError && (
        <p className="problem" role="alert" data-testid="delete-error">
          {deleteError}
        </p>
      )}
      {ollama?.state === "up" && <ModelTable rows={overview?.models ?? []} />}
    </div>
  );
}

function Unserved({ agents }: { agents: UnservedAgent[] }) {
  return (
    <section className="card problem-card" data-testid="unserved-agents">
      <h2>
        {agents.length} agent{agents.length === 1 ? "" : "s"} without a model
      </h2>
      <p className="muted">Neither the preferred nor the fallback model is installed; their LLM calls fail.</p>
      <ul>
        {agents.map((a) => (
          <li key={a.agent.id}>
            <strong>{a.agent.id}</strong> {a.agent.title}: <code>{a.preferred}</code> or <code>{a.fallback}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

function PullForm() {
  const pull = useModelsStore((s) => s.pull);
  const pullError = useModelsStore((s) => s.pullError);
  const cancelling = useModelsStore((s) => s.cancelling);
  const startPull = useModelsStore((s) => s.startPull);
  const cancelPull = useModelsStore((s) => s.cancelPull);
  const [name, setName] = useState("");
  const problem = name.trim() === "" ? null : modelNameProblem(name.trim());
  const pct = pull ? percent(pull) : null;
  return (
    <section className="card">
      <form
        className="pull-form"
        onSubmit={(e) => {
          e.preventDefault();
          void startPull(name);
        }}
      >
        <label>
          Pull a model{" "}
          <input
            data-testid="pull-name"
            value={name}
            placeholder="llama3.2:1b"
            disabled={pull !== null}
            aria-invalid={problem !== null}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <button type="submit" data-testid="pull-start" disabled={pull !== null || problem !== null || name.trim() === ""}>
          Pull
        </button>
      </form>
      {problem && (
        <p className="problem small" data-testid="pull-name-problem">
          {problem}
        </p>
      )}
      {pull && (
        <div className="pull-progress" data-testid="pull-progress">
          <span>
            {pull.name}: {pull.status}
          </span>
          <progress max={100} value={pct ?? undefined} />
          <span className="muted">
            {pull.total > 0 && `${formatBytes(pull.completed)} of ${formatBytes(pull.total)} (${pct}%)`}
            {pull.speed !== null && ` · ${formatBytes(pull.speed)}/s`}
          </span>
          <button
            type="button"
            className="btn-sm danger"
            data-testid="pull-cancel"
            disabled={cancelling}
            onClick={() => void cancelPull()}
          >
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        </div>
      )}
      {pullError && (
        <p className="problem" role="alert" data-testid="pull-error">
          {pullError}
        </p>
      )}
    </section>
  );
}

function ModelTable({ rows }: { rows: ModelRow[] }) {
  if (rows.length === 0) return <p className="muted" data-testid="models-none">No models installed.</p>;
  return (
    <div className="table-scroll card">
      <table className="table table-compact">
        <thead>
          <tr>
            <th>Model</th>
            <th>Size</th>
            <th>Family</th>
            <th>Quantisation</th>
            <th>Modified</th>
            <th>Loaded</th>
            <th>Preferred by</th>
            <th>Fallback for</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <ModelLine key={row.model.name} row={row} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ModelLine({ row }: { row: ModelRow }) {
  const { model, loaded } = row;
  return (
    <tr data-testid={`model-row-${model.name}`}>
      <td>
        <code>{model.name}</code>
      </td>
      <td>{formatBytes(model.size)}</td>
      <td>
        {model.family || "–"} {model.parameterSize}
      </td>
      <td>{model.quantizationLevel || "–"}</td>
      <td>{model.modifiedAt ? new Date(model.modifiedAt).toLocaleString() : "–"}</td>
      <td>
        {loaded
          ? `${formatBytes(loaded.size)} (${formatBytes(loaded.sizeVram)} GPU), until ${new Date(loaded.expiresAt).toLocaleTimeString()}`
          : "no"}
      </td>
      <td data-testid={`model-preferred-${model.name}`}>{row.preferredBy.map((a) => a.id).join(", ") || "–"}</td>
      <td>{row.fallbackFor.map((a) => a.id).join(", ") || "–"}</td>
      <td>
        <DeleteButton name={model.name} />
      </td>
    </tr>
  );
}

function DeleteButton({ name }: { name: string }) {
  const deleteModel = useModelsStore((s) => s.deleteModel);
  const [confirming, setConfirming] = useState(false);
  if (confirming) {
    return (
      <span className="confirm" role="group" aria-label={`Confirm deleting ${name}`}>
        <span>Delete from Ollama?</span>
        <button
          type="button"
          className="btn-sm danger"
          data-testid={`model-delete-confirm-${name}`}
          onClick={() => {
            setConfirming(false);
            void deleteModel(name);
          }}
        >
          Yes, delete
        </button>
        <button type="button" className="btn-sm" onClick={() => setConfirming(false)}>
          No
        </button>
      </span>
    );
  }
  return (
    <button type="button" className="btn-sm danger" data-testid={`model-delete-${name}`} onClick={() => setConfirming(true)}>
      Delete
    </button>
  );
}
