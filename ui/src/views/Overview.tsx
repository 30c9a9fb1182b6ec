import { ago, useNow } from "../components/time";
import { Fact } from "../components/Fact";
import type { DockerFacts, EngineStatus, ErrorBody, OllamaFacts, Probe } from "../ipc";
import { useStatusStore } from "../stores/status";
import { CatalogCard } from "./CatalogCard";
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

export function Overview() {
  const status = useStatusStore((s) => s.status);
  const refreshing = useStatusStore((s) => s.refreshing);
  const refresh = useStatusStore((s) => s.refresh);
  const error = useStatusStore((s) => s.error);
  const now = useNow(1000);

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
        <span className="muted" data-testid="checked-at">
          {status.checkedAtMs === 0 ? "First check under way…" : `Checked ${ago(status.checkedAtMs, now)}`}
        </span>
        <button type="button" onClick={() => void refresh()} disabled={refreshing} data-testid="refresh-status">
          {refreshing ? "Checking…" : "Check now"}
        </button>
      </div>
      <div className="grid">
        <DockerCard endpoint={status.dockerEndpoint} probe={status.docker} />
        <OllamaCard url={status.ollamaUrl} probe={status.ollama} />
        <DataCard data={status.data} />
        <CatalogCard />
      </div>
    </div>
  );
}
