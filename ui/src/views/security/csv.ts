// CSV made in the UI: the audit log's rows as a file a spreadsheet opens.
import type { AuditEntry } from "../../ipc";

/** One CSV field: quoted when it holds a comma, quote, or line break (a
 * quote doubled). A field a spreadsheet would run as a formula (starting
 * with =, +, -, @, tab or carriage return) is prefixed with `'`. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows as CSV text (RFC 4180: CRLF line ends, a header row first). */
export function toCsv(header: string[], rows: string[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export const AUDIT_HEADER = ["time", "actor", "origin", "action", "target", "outcome", "detail"];

/** The audit log as CSV; times in UTC (ISO 8601). */
export function auditCsv(entries: AuditEntry[]): string {
  return toCsv(
    AUDIT_HEADER,
    entries.map((e) => [new Date(e.atMs).toISOString(), e.actor, e.origin, e.action, e.target, e.outcome, e.detail]),
  );
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `sutazai-audit-<yyyy-mm-dd>.csv` (local date). */
export function auditFileName(nowMs: number): string {
  const d = new Date(nowMs);
  return `sutazai-audit-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}.csv`;
}

/** Offers `text` as a file download named `name`. */
export function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked once the download has taken the data.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
