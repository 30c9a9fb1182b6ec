import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../ipc";
import { bytes, historyContainer, historyLine, memory, percent, rate } from "./format";
import { keepLast } from "./Logs";

function entry(kind: string, detail: Record<string, unknown>): HistoryEntry {
  return { atMs: 0, event: { kind, detail } };
}

/** One line per history entry: [kind, detail, line]. */
function check(cases: [string, Record<string, unknown>, string][]) {
  for (const [kind, detail, line] of cases) expect(historyLine(entry(kind, detail)), kind).toBe(line);
}

describe("historyLine", () => {
  it("says what happened, for every kind of fleet event", () => {
    const c = { agentId: "AG-001", container: "sutazai-ag-001" };
    check([
      ["restarted", { ...c, attempt: 2, reason: "unhealthy: /health timed out" }, "restarted by self-healing (attempt 2): unhealthy: /health timed out"],
      ["flapping", { ...c, restarts: 5 }, "left stopped: died 5 times in a short time (flapping)"],
      ["deployed", { ...c, stage: "healthy", reason: null }, "deployed: healthy"],
      ["deployed", { ...c, stage: "rolled_back", reason: null }, "deployed: rolled back"],
      ["deployed", { ...c, stage: "failed", reason: "health gate: timed out after 30 s" }, "deploy failed: health gate: timed out after 30 s"],
      ["acted", { agentId: "AG-001", action: "stop" }, "stopped by you"],
      ["acted", { agentId: "AG-001", action: "start" }, "started by you"],
      ["acted", { agentId: "AG-001", action: "restart" }, "restarted by you"],
      ["acted", { agentId: "AG-001", action: "remove" }, "removed by you"],
      ["scaled", { agentId: "AG-001", instances: 3 }, "scaled to 3 instances"],
      ["scaled", { agentId: "AG-001", instances: 1 }, "scaled to 1 instance"],
      ["replaced", { ...c, reason: "its manifest changed" }, "container replaced: its manifest changed"],
      [
        "autoscaled",
        { agentId: "AG-001", decision: { from: 1, to: 2, signal: "tasks", value: 3.5, threshold: 2, windowS: 60 }, failed: null },
        "auto-scaled 1 → 2: tasks 3.50 over 60 s, above 2",
      ],
      [
        "autoscaled",
        { agentId: "AG-001", decision: { from: 2, to: 1, signal: "cpu", value: 0.25, threshold: 5, windowS: 30 }, failed: "docker refused" },
        "auto-scaled 2 → 1: cpu 0.25 over 30 s, below 5: docker refused",
      ],
    ]);
  });

  it("reads entries written by other versions without failing", () => {
    check([
      // Before containers were named in events.
      ["restarted", { agentId: "AG-001", attempt: 1, reason: "exited (137)" }, "restarted by self-healing (attempt 1): exited (137)"],
      ["restarted", { agentId: "AG-001" }, "restarted by self-healing"],
      ["flapping", {}, "left stopped: it kept dying (flapping)"],
      ["deployed", {}, "deployed: done"],
      ["scaled", {}, "scaled"],
      ["migrated", { to: 2 }, 'migrated: {"to":2}'],
    ]);
    expect(historyContainer(entry("flapping", { container: "sutazai-ag-001-2" }))).toBe("sutazai-ag-001-2");
    expect(historyContainer(entry("acted", { action: "stop" }))).toBeNull();
  });
});

describe("figures", () => {
  it("shows sizes in the app's binary units", () => {
    expect(bytes(512)).toBe("512 B");
    expect(bytes(1536)).toBe("1.5 KB");
    expect(bytes(12.4 * 1024 * 1024)).toBe("12.4 MB");
    expect(bytes(64 * 1024 * 1024)).toBe("64 MB");
    expect(bytes(512 * 1024 * 1024)).toBe("512 MB");
    expect(bytes(1.5 * 1024 ** 3)).toBe("1.5 GB");
    expect(memory(12.4 * 1024 * 1024, 64 * 1024 * 1024)).toBe("12.4 MB / 64 MB");
    expect(memory(2048, null)).toBe("2 KB");
    expect(percent(3.21)).toBe("3.2 %");
    expect(percent(0)).toBe("0.0 %");
    expect(rate(1536)).toBe("1.5 KB/s");
    expect(rate(0.4)).toBe("0 B/s");
  });
});

describe("keepLast", () => {
  it("keeps the last lines, counting a final partial line as one", () => {
    expect(keepLast("a\nb\nc\n", 2)).toBe("b\nc\n");
    expect(keepLast("a\nb\nc", 2)).toBe("b\nc");
    expect(keepLast("a\nb\n", 2)).toBe("a\nb\n");
    expect(keepLast("", 2)).toBe("");
    const many = Array.from({ length: 1500 }, (_, i) => `line ${i}\n`).join("");
    const kept = keepLast(many, 1000);
    expect(kept.split("\n")).toHaveLength(1001);
    expect(kept.startsWith("line 500\n")).toBe(true);
  });
});
