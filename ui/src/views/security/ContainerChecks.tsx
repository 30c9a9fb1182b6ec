// One container's CIS Docker Benchmark §5 checks, warns first: each
// check's number, title, verdict, what was found and what to change.
import { SEVERITY_BADGE } from "../../components/severity";
import type { Check } from "../../ipc";
import { checksInOrder } from "../../stores/containers";

/** A warn takes its severity's badge; a pass is green, an info grey, a rule
 * that does not apply outlined. */
function verdictBadge(check: Check): string {
  if (check.verdict === "warn") return SEVERITY_BADGE[check.severity ?? "warning"];
  if (check.verdict === "pass") return "badge-connected";
  if (check.verdict === "info") return "badge-idle";
  return "badge-unknown";
}

const VERDICT_LABEL: Record<Check["verdict"], string> = {
  pass: "pass",
  warn: "warn",
  info: "info",
  not_applicable: "n/a",
};

export function ContainerChecks({ checks }: { checks: Check[] }) {
  return (
    <table className="table table-compact container-checks">
      <thead>
        <tr>
          <th>Check</th>
          <th>Title</th>
          <th>Verdict</th>
          <th>Found</th>
          <th>Fix</th>
        </tr>
      </thead>
      <tbody>
        {checksInOrder(checks).map((c) => (
          <tr key={c.id} data-testid={`check-${c.id}`}>
            <td className="nowrap">
              <code>{c.id}</code>
            </td>
            <td>{c.title}</td>
            <td className="nowrap">
              <span className={`badge ${verdictBadge(c)}`}>
                {c.verdict === "warn" && c.severity ? `${VERDICT_LABEL[c.verdict]} · ${c.severity}` : VERDICT_LABEL[c.verdict]}
              </span>
            </td>
            <td className="check-text">{c.detail}</td>
            <td className="check-text">{c.fix && <code>{c.fix}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
