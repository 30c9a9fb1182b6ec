import { describe, expect, it } from "vitest";
import {
  canCancel,
  canRequeue,
  elapsed,
  errorRate,
  latency,
  outcomeText,
  parsePayload,
  resultText,
  score,
  TASK_STATUSES,
  taskDuration,
} from "./format";

describe("durations", () => {
  it("reads like a person would say it", () => {
    const cases: [number, string][] = [
      [-5, "0 ms"],
      [850, "850 ms"],
      [4210, "4.2 s"],
      [59_949, "59.9 s"],
      [185_000, "3 min 05 s"],
      [7_440_000, "2 h 04 min"],
    ];
    for (const [ms, text] of cases) expect(elapsed(ms), String(ms)).toBe(text);
  });

  it("runs to now until the task ends", () => {
    expect(taskDuration({ createdMs: 1000, finishedMs: 1420 }, 99_999)).toBe("420 ms");
    expect(taskDuration({ createdMs: 1000, finishedMs: null }, 4000)).toBe("3.0 s");
  });
});

describe("payload", () => {
  it("accepts any JSON value and says why other text is not", () => {
    expect(parsePayload('{"text": "hello"}')).toEqual({ ok: true, value: { text: "hello" } });
    expect(parsePayload("[1, 2]")).toEqual({ ok: true, value: [1, 2] });
    expect(parsePayload('"just text"')).toEqual({ ok: true, value: "just text" });
    const broken = parsePayload('{"text": }');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error.length).toBeGreaterThan(0);
    expect(parsePayload("  ")).toEqual({ ok: false, error: 'enter a JSON value, such as {} or {"text": "hello"}' });
  });
});

describe("results and routing figures", () => {
  it("shows an output's JSON, else its text, else the whole value", () => {
    expect(resultText({ kind: "json", text: "{}", json: { a: 1 } })).toBe('{\n  "a": 1\n}');
    expect(resultText({ kind: "text", text: "plain words" })).toBe("plain words");
    expect(resultText([1])).toBe("[\n  1\n]");
    expect(resultText(null)).toBe("");
  });

  it("writes scores, error rates and latencies, unknown latency included", () => {
    expect(score(0.4749)).toBe("0.475");
    expect(score(null)).toBe("—");
    expect(errorRate(0.254)).toBe("25 %");
    expect(latency(1200)).toBe("1.2 s");
    expect(latency(1.7976931348623157e308)).toBe("unknown");
  });

  it("says how each attempt ended", () => {
    expect(outcomeText(null)).toBe("running");
    expect(outcomeText({ kind: "succeeded" })).toBe("succeeded");
    expect(
      outcomeText({ kind: "failed", failure: { code: "unreachable", message: "connection refused" }, retried: true }),
    ).toBe("failed (unreachable): connection refused — retried");
    expect(outcomeText({ kind: "interrupted" })).toBe("interrupted by an app restart");
  });

  it("offers cancel before the end and re-queue after a failure, never both", () => {
    const offers = TASK_STATUSES.map((s) => `${s}:${canCancel(s) ? "cancel" : ""}${canRequeue(s) ? "requeue" : ""}`);
    expect(offers).toEqual([
      "queued:cancel",
      "dispatched:cancel",
      "running:cancel",
      "succeeded:",
      "failed:requeue",
      "dead:requeue",
      "cancelled:requeue",
    ]);
  });
});
