import { describe, expect, it } from "vitest";
import { auditEntry, T0 } from "../../ipc/fixtures";
import { auditCsv, auditFileName, csvField, toCsv } from "./csv";

describe("CSV", () => {
  it.each([
    ["plain", "plain"],
    ["", ""],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\r\nlf", '"cr\r\nlf"'],
    ["=SUM(A1:A2)", "'=SUM(A1:A2)"],
    ["+1", "'+1"],
    ["-cmd", "'-cmd"],
    ["@x", "'@x"],
    ['=HYPERLINK("x","y")', `"'=HYPERLINK(""x"",""y"")"`],
    ["key:ci-bot", "key:ci-bot"],
  ])("writes %j as %j", (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it("writes a header row, then one CRLF-ended line per row", () => {
    expect(toCsv(["a", "b"], [["1", "x,y"], ["", 'q"']])).toBe('a,b\r\n1,"x,y"\r\n,"q"""\r\n');
  });

  it("writes the audit log with UTC times, commas and quotes kept", () => {
    const csv = auditCsv([
      auditEntry(1, { outcome: "refused: role analyst may not cancel", detail: 'task "t-1", priority 5' }),
    ]);
    const time = new Date(T0 + 1000).toISOString();
    expect(csv).toBe(
      "time,actor,origin,action,target,outcome,detail\r\n" +
        `${time},desktop,window,agent.restart,AG-001,refused: role analyst may not cancel,"task ""t-1"", priority 5"\r\n`,
    );
  });

  it("names the file by the local date", () => {
    expect(auditFileName(new Date(2026, 0, 5, 23, 59).getTime())).toBe("sutazai-audit-2026-01-05.csv");
  });
});
