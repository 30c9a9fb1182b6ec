// One input the threat gate recorded: when, from where and whom, what it
// said (three lines, the rest on click or hover), its score and the
// patterns matched, and what was done — with Approve and Reject while held.
import { useState } from "react";
import { when } from "../../components/time";
import type { Threat, ThreatAction } from "../../ipc";
import { useThreatsStore } from "../../stores/threats";

/** The badge class of each action (blocked red, held amber, approved green). */
const ACTION_BADGE: Record<ThreatAction, string> = {
  blocked: "badge-unreachable",
  held: "badge-checking",
  approved: "badge-connected",
  rejected: "badge-idle",
  forwarded: "badge-unknown",
};

function Excerpt({ threat }: { threat: Threat }) {
  const [open, setOpen] = useState(false);
  return (
    <div
      className={open ? "threat-excerpt open" : "threat-excerpt"}
      title={threat.excerpt}
      role="button"
      tabIndex={0}
      aria-expanded={open}
      data-testid={`threat-excerpt-${threat.id}`}
      onClick={() => setOpen(!open)}
      onKeyDown={(e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          setOpen(!open);
        }
      }}
    >
      {threat.excerpt}
    </div>
  );
}

function Outcome({ threat }: { threat: Threat }) {
  const decided = threat.decidedMs !== null ? `${threat.decidedBy ?? "someone"}, ${when(threat.decidedMs)}` : null;
  return (
    <>
      <span className={`badge ${ACTION_BADGE[threat.action]}`}>{threat.action}</span>
      {threat.action === "approved" && threat.resultId !== null && (
        <div className="small" data-testid={`threat-result-${threat.id}`}>
          → <code>{threat.resultId}</code>
        </div>
      )}
      {decided && <div className="muted small">{decided}</div>}
    </>
  );
}

function Decide({ threat }: { threat: Threat }) {
  const decide = useThreatsStore((s) => s.decide);
  const busy = useThreatsStore((s) => s.deciding.includes(threat.id));
  return (
    <div className="alert-actions">
      <button
        type="button"
        className="btn-sm"
        disabled={busy}
        data-testid={`threat-approve-${threat.id}`}
        onClick={() => void decide(threat.id, "approve")}
      >
        Approve
      </button>
      <button
        type="button"
        className="btn-sm"
        disabled={busy}
        data-testid={`threat-reject-${threat.id}`}
        onClick={() => void decide(threat.id, "reject")}
      >
        Reject
      </button>
    </div>
  );
}

export function ThreatRow({ threat }: { threat: Threat }) {
  const refusal = useThreatsStore((s) => s.refusals[threat.id] ?? null);
  return (
    <tr data-testid={`threat-row-${threat.id}`}>
      <td className="nowrap">{when(threat.atMs)}</td>
      <td className="nowrap">{threat.source}</td>
      <td className="nowrap">{threat.by}</td>
      <td>
        <Excerpt threat={threat} />
      </td>
      <td className="num">{threat.score.toFixed(2)}</td>
      <td>
        <span className="threat-patterns">
          {threat.patterns.map((p) => (
            <span key={p} className="chip" title={p}>
              {p}
            </span>
          ))}
        </span>
      </td>
      <td className="nowrap" data-testid={`threat-action-${threat.id}`}>
        <Outcome threat={threat} />
      </td>
      <td className="nowrap">
        {threat.action === "held" && <Decide threat={threat} />}
        {refusal && (
          <p className="rule-error" role="alert" data-testid={`threat-refusal-${threat.id}`}>
            {refusal}
          </p>
        )}
      </td>
    </tr>
  );
}
