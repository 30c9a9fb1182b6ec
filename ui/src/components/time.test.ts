import { describe, expect, it } from "vitest";
import { ago, dateTime, timeOfDay, when } from "./time";

describe("time for people", () => {
  const ms = Date.UTC(2026, 11, 5, 2, 14, 9);

  it("formats as the Date methods would, with formatters made once", () => {
    expect(when(ms)).toBe(
      new Date(ms).toLocaleString(undefined, {
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
    );
    expect(dateTime(ms)).toBe(new Date(ms).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }));
    expect(timeOfDay(ms)).toBe(new Date(ms).toLocaleTimeString(undefined, { timeStyle: "medium" }));
  });

  it("says there is no moment instead of throwing on one that is not a date", () => {
    expect(dateTime(Date.parse("not a date"))).toBe("–");
    expect(when(NaN)).toBe("–");
    expect(timeOfDay(Infinity)).toBe("–");
  });

  it("says how long ago", () => {
    expect(ago(ms, ms + 500)).toBe("just now");
    expect(ago(ms, ms + 12_000)).toBe("12 s ago");
    expect(ago(ms, ms + 3 * 60_000)).toBe("3 min ago");
    expect(ago(ms, ms + 2 * 3_600_000)).toBe("2 h ago");
  });
});
