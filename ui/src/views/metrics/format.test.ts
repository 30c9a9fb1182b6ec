import { describe, expect, it } from "vitest";
import { column } from "../../ipc/fixtures";
import { nearestColumn } from "./crosshair";
import { formatClock, formatValue, fromLocalInput, gapsNote, toLocalInput } from "./format";

const at = (day: number, h: number, m: number, s = 0) => new Date(2026, 11, day, h, m, s).getTime();
const HOUR = 3_600_000;

describe("metrics format", () => {
  it("writes each unit as the chart axes do", () => {
    expect(formatValue("percent", 12.345)).toBe("12.3%");
    expect(formatValue("percent", 0.125)).toBe("0.13%");
    expect(formatValue("bytes", 245 * 2 ** 20)).toBe("245 MiB");
    expect(formatValue("bytes", 1.5 * 2 ** 30)).toBe("1.5 GiB");
    expect(formatValue("bytesPerSecond", 2048)).toBe("2 KiB/s");
    expect(formatValue("perSecond", 0.25)).toBe("0.25/s");
    expect(formatValue("count", 20)).toBe("20");
    expect(formatValue("milliseconds", 120.4)).toBe("120 ms");
    expect(formatValue("milliseconds", 1530)).toBe("1.53 s");
    expect(formatValue("ratio", 0.975)).toBe("97.5%");
  });

  it("names the day when a time is not on the window's last day", () => {
    const end = at(4, 12, 42);
    expect(formatClock(at(4, 10, 2, 7), HOUR, end)).toBe("10:02:07");
    expect(formatClock(at(4, 10, 2, 7), 24 * HOUR, end)).toBe("10:02");
    expect(formatClock(at(3, 12, 43), 24 * HOUR, end)).toBe("Thu 03 12:43");
    expect(formatClock(at(4, 10, 2), 7 * 24 * HOUR, end)).toBe("Fri 04 10:02");
    expect(gapsNote([{ fromMs: at(3, 12, 43), toMs: at(4, 12, 42) }], 24 * HOUR, end)).toBe(
      "No data Thu 03 12:43–12:42: the app was not running.",
    );
    const many = [1, 2, 3, 4, 5].map((h) => ({ fromMs: at(4, h, 0), toMs: at(4, h, 30) }));
    expect(gapsNote(many, 24 * HOUR, end)).toBe(
      "No data 01:00–01:30, 02:00–02:30, 03:00–03:30 and 2 more: the app was not running.",
    );
    expect(gapsNote([], HOUR, end)).toBeNull();
  });

  it("reads and writes datetime-local values in local time", () => {
    expect(toLocalInput(at(4, 9, 5, 30))).toBe("2026-12-04T09:05");
    expect(fromLocalInput("2026-12-04T09:05")).toBe(at(4, 9, 5));
    expect(fromLocalInput("")).toBeNull();
  });

  it("finds the column nearest a time", () => {
    const columns = [column(1000, 1), column(5000, 5), column(9000, 9)];
    expect(nearestColumn(columns, 0, 1000)?.mean).toBe(1);
    expect(nearestColumn(columns, 4000, 1000)?.mean).toBe(5);
    expect(nearestColumn(columns, 7400, 1000)?.mean).toBe(5);
    expect(nearestColumn(columns, 7600, 1000)?.mean).toBe(9);
    expect(nearestColumn(columns, 20_000, 1000)?.mean).toBe(9);
    expect(nearestColumn([], 0, 1000)).toBeNull();
  });
});
