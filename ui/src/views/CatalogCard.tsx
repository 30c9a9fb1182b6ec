import { useEffect } from "react";
import { Fact } from "../components/Fact";
import { useCatalogStore } from "../stores/catalog";

/** How many agents the catalog holds, and which manifests it refused. */
export function CatalogCard() {
  const summary = useCatalogStore((s) => s.data);
  const load = useCatalogStore((s) => s.load);
  const follow = useCatalogStore((s) => s.follow);
  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);

  if (!summary) return null;
  const [p1 = 0, p2 = 0, p3 = 0] = summary.byPhase;
  return (
    <section className="card" data-testid="catalog-card">
      <header className="card-header">
        <h2>Agent catalog</h2>
        <span className={`badge ${summary.problems.length ? "badge-unreachable" : "badge-connected"}`}>
          {summary.problems.length ? `${summary.problems.length} refused` : "All valid"}
        </span>
      </header>
      <dl className="facts">
        <Fact label="Agents" value={summary.agents} testId="catalog-agents" />
        <Fact label="By phase" value={`${p1} · ${p2} · ${p3}`} testId="catalog-phases" />
        <Fact label="Folder" value={summary.dir} />
      </dl>
      {summary.problems.map((p) => (
        <div className="problem" key={p.file} data-testid="catalog-problem">
          <p>
            <code>{p.file}</code>
          </p>
          {p.errors.map((e, i) => (
            <p key={i} className="small">
              {e}
            </p>
          ))}
        </div>
      ))}
    </section>
  );
}
