// Models: whether Ollama answers (and starting an installed one when not),
// what it has installed and loaded, which agents think with each model, the
// agents left with neither of their models, a pull with live progress, and
// the LLM gateway's statistics.
import { useEffect, useState } from "react";
import { dateTime, timeOfDay } from "../components/time";
import type { ModelRow, UnservedAgent } from "../ipc";
import { useModelsStore } from "../stores/models";
import { modelNameProblem, percent } from "../stores/pull";
import { formatBytes } from "./models/format";
import { GatewayStatsCard } from "./models/GatewayStats";
import "./Models.css";

export function Models() {
  const overview = useModelsStore((s) => s.overview);
  const error = useModelsStore((s) => s.error);
  const load = useModelsStore((s) => s.load);
  const deleteError = useModelsStore((s) => s.deleteError);

  useEffect(() => {
    void load();
  }, [load]);

  const ollama = overview?.ollama;
  return (
    <div className="models" data-testid="models-view">
      <OllamaStatus />

      {overview && overview.unservedAgents.length > 0 && <Unserved agents={overview.unservedAgents} />}

      <PullForm />

      {deleteError && (
        <p className="problem" role="alert" data-testid="delete-error">
          {deleteError}
        </p>
      )}
      {ollama?.state === "up" && !error && <ModelTable rows={overview?.models ?? []} />}

      <GatewayStatsCard />
    </div>
  );
}

/** Whether Ollama answers; when it does not, Retry, and Start Ollama when
 * the program is installed (or how to install it when not). */
function OllamaStatus() {
  const overview = useModelsStore((s) => s.overview);
  const error = useModelsStore((s) => s.error);
  const loading = useModelsStore((s) => s.loading);
  const load = useModelsStore((s) => s.load);
  const starting = useModelsStore((s) => s.starting);
  const startError = useModelsStore((s) => s.startError);
  const startOllama = useModelsStore((s) => s.startOllama);
  const ollama = overview?.ollama;
  // The overview while Ollama is down: what Start Ollama needs.
  const down = overview?.ollama.state === "down" ? overview : null;
  // Only when nothing listens at the URL: a slow or failing Ollama is
  // running already, and a second one could not take its port.
  const nothingListens = ollama?.state === "down" && ollama.code === "ollama_unreachable";
  const canStart = down?.ollamaProgram != null && down.ollamaLocal && (starting || nothingListens);
  return (
    <section className="card" data-testid="ollama-status">
      <div className="status-line">
        {error ? (
          <span className="problem" role="alert">
            {error.message}
          </span>
        ) : !ollama ? (
          <span className="muted">Asking Ollama…</span>
        ) : ollama.state === "up" ? (
          <span>
            Ollama <strong>{ollama.version}</strong> is running at <code>{overview?.ollamaUrl}</code>.
          </span>
        ) : (
          <span className="problem" role="alert">
            Ollama is not available: {ollama.message}
          </span>
        )}
        {(error || ollama) && (
          <button type="button" className="btn-sm" data-testid="models-retry" disabled={loading || starting} onClick={() => void load()}>
            {ollama?.state === "up" && !error ? "Refresh" : "Retry"}
          </button>
        )}
        {down && canStart && (
          <button
            type="button"
            className="btn-sm primary"
            data-testid="ollama-start"
            disabled={starting}
            title={`Runs ${down.ollamaProgram} serve`}
            onClick={() => void startOllama()}
          >
            {starting ? "Starting…" : "Start Ollama"}
          </button>
        )}
      </div>
      {down && starting && (
        <p className="muted small" data-testid="ollama-starting">
          Started <code>{down.ollamaProgram} serve</code>; waiting for it to answer at <code>{down.ollamaUrl}</code>…
        </p>
      )}
      {down && !down.ollamaProgram && (
        <p className="muted small" data-testid="ollama-not-installed">
          No <code>ollama</code> program is installed on this computer&apos;s PATH. Install Ollama from{" "}
          <code>https://ollama.com/download</code> and start it, or point the app at a running one (the{" "}
          <code>ollama_url</code> setting, now <code>{down.ollamaUrl}</code>), then Retry.
        </p>
      )}
      {down && down.ollamaProgram && !down.ollamaLocal && (
        <p className="muted small" data-testid="ollama-remote">
          Ollama is expected at <code>{down.ollamaUrl}</code>, another computer: start it there, then Retry.
        </p>
      )}
      {startError && (
        <p className="problem small" role="alert" data-testid="ollama-start-error">
          {startError}
        </p>
      )}
    </section>
  );
}

/** The agents with neither model: one line, the list on demand, so the
 * pull form and the models stay in view. */
function Unserved({ agents }: { agents: UnservedAgent[] }) {
  const [open, setOpen] = useState(false);
  return (
    <section className="card unserved" data-testid="unserved-agents">
      <div className="status-line">
        <span>
          <strong>
            {agents.length} agent{agents.length === 1 ? "" : "s"} without a model
          </strong>
          <span className="muted">: neither the preferred nor the fallback model is installed, so their LLM calls fail.</span>
        </span>
        <button
          type="button"
          className="btn-sm"
          aria-expanded={open}
          data-testid="unserved-toggle"
          onClick={() => setOpen(!open)}
        >
          {open ? "Hide" : "Show them"}
        </button>
      </div>
      {open && (
        <ul data-testid="unserved-list">
          {agents.map((a) => (
            <li key={a.agent.id}>
              <strong>{a.agent.id}</strong> {a.agent.title}: <code>{a.preferred}</code> or <code>{a.fallback}</code>
            </li>
          ))}
        </ul>
      )}
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
      <td>{model.modifiedAt ? dateTime(Date.parse(model.modifiedAt)) : "–"}</td>
      <td>
        {loaded
          ? `${formatBytes(loaded.size)} (${formatBytes(loaded.sizeVram)} GPU), until ${timeOfDay(Date.parse(loaded.expiresAt))}`
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
