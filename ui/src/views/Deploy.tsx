import { useEffect, useState } from "react";
import type { FailurePolicy, PhaseSummary } from "../ipc";
import { doneCount, IDLE_RUN, summaryText, useDeployStore, type PhaseRun } from "../stores/deploy";
import { STAGE_LABELS } from "../components/stages";
import "./Deploy.css";

const TITLES: Record<number, string> = {
  1: "Critical orchestration",
  2: "Specialised services",
  3: "Auxiliary support",
};

const POLICIES: { value: FailurePolicy; label: string }[] = [
  { value: "roll_back", label: "Roll the phase back" },
  { value: "keep_healthy", label: "Keep the healthy agents" },
];


function gb(mb: number): string {
  return `${(mb / 1024).toFixed(1)} GB`;
}

function AgentProgressList({ phase, run }: { phase: number; run: PhaseRun }) {
  return (
    <ul className="deploy-agents" data-testid={`deploy-agents-${phase}`}>
      {run.agents.map((id) => {
        const progress = run.stages[id] ?? { stage: "pending" as const, reason: null };
        return (
          <li
            key={id}
            className={`deploy-agent stage-${progress.stage}`}
            data-testid={`deploy-agent-${id}`}
            data-stage={progress.stage}
          >
            <span className="stage-dot" aria-hidden="true" />
            <code>{id}</code>
            <span className="stage-label">{STAGE_LABELS[progress.stage]}</span>
            {progress.reason && <span className="stage-reason small">{progress.reason}</span>}
          </li>
        );
      })}
    </ul>
  );
}

function PhaseCard({ summary }: { summary: PhaseSummary }) {
  const { phase } = summary;
  const run = useDeployStore((s) => s.phases[phase]) ?? IDLE_RUN;
  const deploy = useDeployStore((s) => s.deploy);
  const undeploy = useDeployStore((s) => s.undeploy);
  const setPolicy = useDeployStore((s) => s.setPolicy);
  const [confirming, setConfirming] = useState(false);

  const busy = run.inFlight || run.running;
  const needed = summary.memoryNeededMb;
  const available = summary.memoryAvailableMb;
  const moved = run.agents.some((id) => (run.stages[id]?.stage ?? "pending") !== "pending");
  const showAgents = run.agents.length > 0 && (run.running || run.report !== null || moved);
  const done = doneCount(run);

  return (
    <section className="card phase-card" data-testid={`phase-card-${phase}`} aria-busy={busy}>
      <header className="card-header">
        <h2>{`Phase ${phase} — ${TITLES[phase] ?? "Agents"}`}</h2>
        {run.running ? (
          <span className="badge badge-checking">Deploying…</span>
        ) : run.undeploying ? (
          <span className="badge badge-checking">Undeploying…</span>
        ) : summary.deployed === 0 ? (
          <span className="badge badge-idle">Not deployed</span>
        ) : (
          <span className={`badge ${summary.healthy === summary.agents ? "badge-connected" : "badge-unreachable"}`}>
            {summary.healthy === summary.agents ? "All healthy" : `${summary.agents - summary.healthy} not healthy`}
          </span>
        )}
      </header>
      <dl className="phase-stats">
        <div className="fact">
          <dt>Agents</dt>
          <dd data-testid={`phase-${phase}-agents`}>{summary.agents}</dd>
        </div>
        <div className="fact">
          <dt>Healthy</dt>
          <dd data-testid={`phase-${phase}-healthy`}>{`${summary.healthy}/${summary.agents} healthy`}</dd>
        </div>
        <div className="fact">
          <dt>Memory</dt>
          <dd data-testid={`phase-${phase}-memory`} className={needed > available ? "warn" : undefined}>
            {`${gb(needed)} of ${gb(available)} available`}
          </dd>
        </div>
        <div className="fact">
          <dt>
            <label htmlFor={`policy-${phase}`}>On failure</label>
          </dt>
          <dd>
            <select
              id={`policy-${phase}`}
              data-testid={`policy-${phase}`}
              value={run.policy}
              disabled={busy}
              onChange={(e) => setPolicy(phase, e.target.value as FailurePolicy)}
            >
              {POLICIES.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </dd>
        </div>
      </dl>

      <div className="phase-actions">
        <button
          type="button"
          className="primary"
          data-testid={`deploy-${phase}`}
          disabled={busy}
          onClick={() => {
            setConfirming(false);
            void deploy(phase);
          }}
        >
          {run.running || (run.inFlight && !run.undeploying) ? "Deploying…" : "Deploy"}
        </button>
        {confirming && !busy ? (
          <span className="confirm" role="group" aria-label="Confirm undeploy">
            <span>{`Undeploy ${summary.deployed} agents?`}</span>
            <button
              type="button"
              className="danger"
              data-testid={`undeploy-confirm-${phase}`}
              onClick={() => {
                setConfirming(false);
                void undeploy(phase);
              }}
            >
              Yes
            </button>
            <button type="button" data-testid={`undeploy-cancel-${phase}`} onClick={() => setConfirming(false)}>
              No
            </button>
          </span>
        ) : (
          <button
            type="button"
            data-testid={`undeploy-${phase}`}
            disabled={busy || summary.deployed === 0}
            title={summary.deployed === 0 ? "Nothing of this phase is deployed" : undefined}
            onClick={() => setConfirming(true)}
          >
            {run.undeploying ? "Undeploying…" : "Undeploy"}
          </button>
        )}
      </div>

      {run.warning && (
        <p className="notice" data-testid={`deploy-warning-${phase}`}>
          {run.warning}
        </p>
      )}
      {run.running && (
        <div className="deploy-progress">
          <progress data-testid={`deploy-progress-${phase}`} value={done} max={run.agents.length} />
          <span className="muted small">{`${done} of ${run.agents.length} done`}</span>
        </div>
      )}
      {run.report && !run.running && (
        <div className="deploy-result">
          <p
            className={run.report.failed.length > 0 ? "summary summary-bad" : "summary summary-ok"}
            data-testid={`deploy-summary-${phase}`}
          >
            {summaryText(run.report)}
          </p>
          {run.report.failed.length > 0 && (
            <ul className="problem failed-list">
              {run.report.failed.map((f) => (
                <li key={f.agentId} data-testid={`deploy-failed-${f.agentId}`}>
                  <code>{f.agentId}</code>: {f.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {run.error && (
        <p className="problem" role="alert" data-testid={`deploy-error-${phase}`}>
          {run.error.message}
        </p>
      )}
      {run.undeployError && (
        <p className="problem" role="alert" data-testid={`undeploy-error-${phase}`}>
          {run.undeployError.message}
        </p>
      )}
      {run.undeployed !== null && (
        <p className="muted" data-testid={`undeploy-result-${phase}`}>
          {`Removed ${run.undeployed} ${run.undeployed === 1 ? "container" : "containers"}.`}
        </p>
      )}
      {showAgents && <AgentProgressList phase={phase} run={run} />}
    </section>
  );
}

export function Deploy() {
  const summaries = useDeployStore((s) => s.summaries);
  const error = useDeployStore((s) => s.summariesError);
  const loadSummaries = useDeployStore((s) => s.loadSummaries);
  const follow = useDeployStore((s) => s.follow);

  useEffect(() => follow(), [follow]);
  useEffect(() => {
    void loadSummaries();
    const timer = setInterval(() => void loadSummaries(), 5000);
    return () => clearInterval(timer);
  }, [loadSummaries]);

  return (
    <div className="deploy">
      {error && (
        <p className="problem" role="alert" data-testid="phases-error">
          {error.message}
        </p>
      )}
      {!summaries && !error && <p className="muted">Loading the phases…</p>}
      {summaries && (
        <div className="phase-list">
          {summaries.map((s) => (
            <PhaseCard key={s.phase} summary={s} />
          ))}
        </div>
      )}
    </div>
  );
}
