import { useEffect } from "react";
import { ago, useNow, when } from "../components/time";
import { Fact } from "../components/Fact";
import { SEVERITY_BADGE } from "../components/severity";
import type { DockerFacts, EngineStatus, ErrorBody, OllamaFacts, Probe } from "../ipc";
import { showAlerts } from "../stores/alerts";
import { useFleetNowStore, type FleetNow } from "../stores/metrics";
import { useOpenAlertsStore } from "../stores/openAlerts";
import { useStatusStore } from "../stores/status";
import { CatalogCard } from "./CatalogCard";
import { formatValue } from "./metrics/format";
import { MetricsProblem } from "./metrics/MetricsProblem";
import "./Overview.css";

/** What to do about each kind of unreachable service. */
const HINTS: Partial<Record<ErrorBody["code"], string>> = {
  docker_missing: "Install and start the Docker engine (on Debian: apt-get install docker.io), or set docker_endpoint.",
  docker_refused: "The Docker engine is not running. Start it (systemctl start docker) and it will be picked up.",
  docker_timeout: "The Docker engine does not answer. It may be overloaded or hung.",
  ollama_unreachable: "Start Ollama (ollama serve) or point ollama_url at a running server.",
  ollama_timeout: "Ollama does not answer. It may be busy loading a model.",
};

function StateBadge<T>({ probe, testId }: { probe: Probe<T>; testId: string }) {
  const label = probe.state === "connected" ? "Connected" : probe.state === "checking" ? "Checking…" : "Not reachable";
  return (
    <span className={`badge badge-${probe.state}`} data-testid={testId}>
      {label}
    </span>
  );
}

function Problem({ error, testId }: { error: ErrorBody; testId: string }) {
  return (
    <div className="problem" role="alert">
      <p data-testid={testId}>{error.message}</p>
      {HINTS[error.code] && <p className="muted">{HINTS[error.code]}</p>}
    </div>
  );
}

function DockerCard({ endpoint, probe }: { endpoint: string; probe: Probe<DockerFacts> }) {
  return (
    <section className="card" data-testid="docker-card">
      <header className="card-header">
        <h2>Docker engine</h2>
        <StateBadge probe={probe} testId="docker-state" />
      </header>
      <dl className="facts">
        <Fact label="Endpoint" value={endpoint} testId="docker-endpoint" />
        {probe.state === "connected" && (
          <>
            <Fact label="Version" value={probe.version} testId="docker-version" />
            <Fact label="API version" value={probe.apiVersion} />
            <Fact label="Platform" value={`${probe.os}/${probe.arch}`} />
            <Fact
              label="Containers"
              value={`${probe.containersRunning} running of ${probe.containersTotal}`}
              testId="docker-containers"
            />
          </>
        )}
      </dl>
      {probe.state === "unreachable" && <Problem error={probe} testId="docker-problem" />}
    </section>
  );
}

function OllamaCard({ url, probe }: { url: string; probe: Probe<OllamaFacts> }) {
  return (
    <section className="card" data-testid="ollama-card">
      <header className="card-header">
        <h2>Ollama</h2>
        <StateBadge probe={probe} testId="ollama-state" />
      </header>
      <dl className="facts">
        <Fact label="URL" value={url} testId="ollama-url" />
        {probe.state === "connected" && (
          <>
            <Fact label="Version" value={probe.version} testId="ollama-version" />
            <Fact label="Models installed" value={probe.modelCount} testId="ollama-models" />
          </>
        )}
      </dl>
      {probe.state === "unreachable" && <Problem error={probe} testId="ollama-problem" />}
    </section>
  );
}

function DataCard({ data }: { data: EngineStatus["data"] }) {
  return (
    <section className="card" data-testid="data-card">
      <header className="card-header">
        <h2>App data</h2>
      </header>
      <dl className="facts">
        <Fact label="Data folder" value={data.dataDir} testId="data-dir" />
        <Fact label="Database" value={`${data.database} (schema v${data.schemaVersion})`} />
        <Fact label="Logs" value={data.logDir} />
        {data.uncleanPreviousRuns > 0 && (
          <Fact label="Earlier runs that did not stop cleanly" value={data.uncleanPreviousRuns} />
        )}
      </dl>
    </section>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="figure">
      <div className="figure-value" data-testid={testId}>
        {value}
      </div>
      <div className="figure-label muted small">{label}</div>
    </div>
  );
}

const NONE = "–";

/** Healthy agents of deployed, throughput, success rate and active runs
 * over the last minute, read from the metrics history while shown. */
function FleetNowCard() {
  const now = useFleetNowStore((s) => s.now);
  const error = useFleetNowStore((s) => s.error);
  const poll = useFleetNowStore((s) => s.poll);
  useEffect(() => poll(), [poll]);
  const figure = (pick: (n: FleetNow) => number | null, show: (v: number) => string) => {
    const value = now ? pick(now) : null;
    return value === null ? NONE : show(value);
  };
  const idle = now !== null && !now.deployed;
  return (
    <section className="card fleet-now" data-testid="fleet-now">
      <header className="card-header">
        <h2>Fleet now</h2>
        <span className="muted small">the last minute</span>
      </header>
      <div className="figures">
        <Figure
          label="healthy agents of deployed"
          value={now && now.healthy !== null ? `${Math.round(now.healthy)} of ${Math.round(now.deployed ?? 0)}` : NONE}
          testId="fleet-now-healthy"
        />
        <Figure label="tasks/s" value={figure((n) => n.throughput, (v) => v.toFixed(v < 10 ? 2 : 1))} testId="fleet-now-throughput" />
        <Figure label="success rate" value={figure((n) => n.successRate, (v) => formatValue("ratio", v))} testId="fleet-now-success" />
        <Figure label="active runs" value={figure((n) => n.runsActive, (v) => String(Math.round(v)))} testId="fleet-now-runs" />
      </div>
      {idle && (
        <p className="muted small" data-testid="fleet-now-idle">
          No agent is deployed. Deploy a phase (Deploy view) to put the fleet to work; the Metrics view charts it.
        </p>
      )}
      {error && <MetricsProblem error={error} testId="fleet-now-error" />}
    </section>
  );
}

/** How many open alerts the card lists. */
export const LATEST_ALERTS = 5;

/** The newest open alerts (live); each one opens the Security view on it. */
function AlertsCard() {
  const alerts = useOpenAlertsStore((s) => s.alerts);
  const error = useOpenAlertsStore((s) => s.error);
  const load = useOpenAlertsStore((s) => s.load);
  const follow = useOpenAlertsStore((s) => s.follow);
  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);
  const latest = (alerts ?? []).slice(0, LATEST_ALERTS);
  return (
    <section className="card" data-testid="latest-alerts">
      <header className="card-header">
        <h2>Latest alerts</h2>
        {alerts && alerts.length > LATEST_ALERTS && (
          <span className="muted small">{`${LATEST_ALERTS} of ${alerts.length} open`}</span>
        )}
      </header>
      {error && (
        <p className="problem" role="alert" data-testid="latest-alerts-error">
          {error.message}
        </p>
      )}
      {alerts && alerts.length === 0 && (
        <p className="muted" data-testid="alerts-none">
          No open alerts. An agent down, a breaker open or a failure rate past its limit shows here.
        </p>
      )}
      {latest.length > 0 && (
        <ul className="latest-alerts">
          {latest.map((a) => (
            <li key={a.id}>
              <button
                type="button"
                className="latest-alert"
                data-testid={`latest-alert-${a.id}`}
                onClick={() => showAlerts([a.fingerprint])}
              >
                <span className={`badge ${SEVERITY_BADGE[a.severity]}`}>{a.severity}</span>
                <span className="latest-alert-name">
                  {a.name}
                  {a.subject && <span className="muted">{` · ${a.subject}`}</span>}
                </span>
                <span className="muted small nowrap">{when(a.firedMs)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** When the engine last checked Docker and Ollama, ticking every second:
 * the clock re-renders this line, not the whole Overview. */
function CheckedAt({ checkedAtMs }: { checkedAtMs: number }) {
  const now = useNow(1000);
  return (
    <span className="muted" data-testid="checked-at">
      {checkedAtMs === 0 ? "First check under way…" : `Checked ${ago(checkedAtMs, now)}`}
    </span>
  );
}

export function Overview() {
  const status = useStatusStore((s) => s.status);
  const refreshing = useStatusStore((s) => s.refreshing);
  const refresh = useStatusStore((s) => s.refresh);
  const error = useStatusStore((s) => s.error);

  if (!status && error) {
    return (
      <section className="card" data-testid="engine-down">
        <h2>The engine is not running</h2>
        <Problem error={{ code: error.code === "ipc_failed" ? "engine_unavailable" : error.code, message: error.message }} testId="engine-problem" />
      </section>
    );
  }
  if (!status) return <p className="muted">Loading the engine status…</p>;
  return (
    <div className="overview">
      <div className="toolbar">
        <CheckedAt checkedAtMs={status.checkedAtMs} />
        <button type="button" onClick={() => void refresh()} disabled={refreshing} data-testid="refresh-status">
          {refreshing ? "Checking…" : "Check now"}
        </button>
      </div>
      <div className="grid">
        <FleetNowCard />
        <DockerCard endpoint={status.dockerEndpoint} probe={status.docker} />
        <OllamaCard url={status.ollamaUrl} probe={status.ollama} />
        <DataCard data={status.data} />
        <CatalogCard />
        <AlertsCard />
      </div>
    </div>
  );
}
