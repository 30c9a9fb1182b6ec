// API keys for the local API: the list (never the keys themselves), a form
// that makes one and shows it once, and revoke with a confirmation.
import { useEffect, useRef, useState } from "react";
import { ago, dateTime, useNow } from "../../components/time";
import type { ApiKeyInfo, CreatedKey, Role } from "../../ipc";
import { useKeysStore } from "../../stores/keys";

/** The roles a person may give a key (agents get `service` tokens of their own). */
export const KEY_ROLES: { role: Role; help: string }[] = [
  { role: "operator", help: "read, submit, cancel and re-queue tasks" },
  { role: "analyst", help: "read only" },
  { role: "admin", help: "everything, including API keys" },
  { role: "guest", help: "health only" },
];

/** The new key, shown this once in a box to copy from. */
function CreatedBox({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);

  async function copy() {
    field.current?.select();
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("Copied.");
    } catch {
      setCopied("Cannot reach the clipboard: the key is selected, press Ctrl+C.");
    }
  }

  return (
    <div className="key-created" data-testid="key-created" role="status">
      <p className="warn">
        {`This is the only time the key "${created.info.name}" is shown. Copy it now: the app keeps only its hash.`}
      </p>
      <div className="key-created-row">
        <input
          ref={field}
          type="text"
          readOnly
          className="key-value"
          data-testid="key-created-value"
          value={created.key}
          onFocus={(e) => e.target.select()}
        />
        <button type="button" className="btn-sm" data-testid="key-copy" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="btn-sm" data-testid="key-created-done" onClick={onDone}>
          I have copied it
        </button>
      </div>
      {copied && <p className="muted small">{copied}</p>}
    </div>
  );
}

function RevokeButton({ info }: { info: ApiKeyInfo }) {
  const revoke = useKeysStore((s) => s.revoke);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (confirming) {
    return (
      <span className="confirm" role="group" aria-label={`Confirm revoking ${info.name}`}>
        <span>Revoke? Callers using it are refused at once.</span>
        <button
          type="button"
          className="btn-sm danger"
          data-testid={`key-revoke-confirm-${info.id}`}
          onClick={() => {
            setConfirming(false);
            revoke(info.id).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
          }}
        >
          Yes, revoke
        </button>
        <button type="button" className="btn-sm" onClick={() => setConfirming(false)}>
          No
        </button>
      </span>
    );
  }
  return (
    <>
      <button
        type="button"
        className="btn-sm danger"
        data-testid={`key-revoke-${info.id}`}
        onClick={() => {
          setError(null);
          setConfirming(true);
        }}
      >
        Revoke
      </button>
      {error && (
        <span className="problem small" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

function KeyTable({ keys }: { keys: ApiKeyInfo[] }) {
  const now = useNow(10_000);
  if (keys.length === 0) return <p className="muted" data-testid="keys-none">No API keys yet.</p>;
  return (
    <table className="table table-compact" data-testid="keys-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Role</th>
          <th>Key</th>
          <th>Created</th>
          <th>Last used</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr key={k.id} data-testid={`key-row-${k.id}`} className={k.revokedMs === null ? undefined : "revoked"}>
            <td>{k.name}</td>
            <td>{k.role}</td>
            <td>
              <code>{`${k.prefix}_…`}</code>
            </td>
            <td className="nowrap" title={`by ${k.createdBy}`}>
              {dateTime(k.createdMs)}
            </td>
            <td className="nowrap">{k.lastUsedMs === null ? "never" : ago(k.lastUsedMs, now)}</td>
            <td className="nowrap">
              {k.revokedMs === null ? (
                <RevokeButton info={k} />
              ) : (
                <span className="badge badge-unknown" data-testid={`key-revoked-${k.id}`}>
                  {`revoked ${ago(k.revokedMs, now)}`}
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ApiKeys() {
  const keys = useKeysStore((s) => s.keys);
  const error = useKeysStore((s) => s.error);
  const load = useKeysStore((s) => s.load);
  const create = useKeysStore((s) => s.create);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedKey | null>(null);

  useEffect(() => {
    void load();
  }, [load]);

  async function submit() {
    setCreating(true);
    setCreateError(null);
    try {
      setCreated(await create(name.trim(), role));
      setName("");
    } catch (err) {
      setCreateError(err instanceof Error ? err.message : String(err));
    } finally {
      setCreating(false);
    }
  }

  return (
    <section className="card" data-testid="api-keys" aria-label="API keys">
      <header className="card-header">
        <h2>API keys</h2>
      </header>
      <p className="muted">
        Programs use a key to call the local API. The app stores only a hash of each key, so a key is shown once,
        when it is made.
      </p>
      <form
        className="key-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() && !creating) void submit();
        }}
      >
        <label>
          <span className="muted small">Name</span>
          <input
            type="text"
            data-testid="key-name"
            placeholder="ci-bot"
            maxLength={64}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          <span className="muted small">Role</span>
          <select data-testid="key-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {KEY_ROLES.map((r) => (
              <option key={r.role} value={r.role}>{`${r.role} — ${r.help}`}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" data-testid="key-create" disabled={!name.trim() || creating}>
          {creating ? "Creating…" : "Create key"}
        </button>
      </form>
      {createError && (
        <p className="problem" role="alert" data-testid="key-create-error">
          {createError}
        </p>
      )}
      {created && <CreatedBox created={created} onDone={() => setCreated(null)} />}
      {error && (
        <p className="problem" role="alert" data-testid="keys-error">
          {error.message}
        </p>
      )}
      {keys && <KeyTable keys={keys} />}
    </section>
  );
}
