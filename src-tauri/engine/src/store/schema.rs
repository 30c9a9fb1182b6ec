//! The database's schema: forward-only migrations numbered by SQLite's
//! `user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Forward-only migrations; entry `i` moves the schema from version `i` to `i + 1`.
/// Never edit a shipped entry: add a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: every start and clean stop of the engine, so a crash is visible.
    "CREATE TABLE engine_runs (
        id          INTEGER PRIMARY KEY,
        version     TEXT    NOT NULL,
        started_ms  INTEGER NOT NULL,
        stopped_ms  INTEGER
    );",
    // 2: what self-healing did to each agent, for its history.
    "CREATE TABLE agent_events (
        id          INTEGER PRIMARY KEY,
        agent_id    TEXT    NOT NULL,
        at_ms       INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        detail      TEXT    NOT NULL
    );
    CREATE INDEX agent_events_by_agent ON agent_events (agent_id, at_ms);",
    // 3: durable tasks (orchestrator). JSON columns hold what is only ever
    // read whole: payload, route, attempts, result, error, chain.
    "CREATE TABLE tasks (
        seq             INTEGER PRIMARY KEY,
        id              TEXT    NOT NULL UNIQUE,
        status          TEXT    NOT NULL,
        priority        INTEGER NOT NULL,
        capability      TEXT,
        agent_id        TEXT,
        task_type       TEXT    NOT NULL,
        payload         TEXT    NOT NULL,
        name            TEXT,
        description     TEXT,
        idempotency_key TEXT    NOT NULL UNIQUE,
        created_ms      INTEGER NOT NULL,
        updated_ms      INTEGER NOT NULL,
        deadline_ms     INTEGER NOT NULL,
        not_before_ms   INTEGER NOT NULL DEFAULT 0,
        finished_ms     INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        max_attempts    INTEGER NOT NULL,
        assigned_agent  TEXT,
        assigned_container TEXT,
        route           TEXT,
        attempt_log     TEXT    NOT NULL DEFAULT '[]',
        result          TEXT,
        error           TEXT,
        submitted_by    TEXT    NOT NULL,
        parent_id       TEXT,
        chain           TEXT    NOT NULL DEFAULT '[]'
    );
    CREATE INDEX tasks_by_status ON tasks (status, seq);",
    // 4: API keys (only a hash is kept) and the audit log of control actions.
    "CREATE TABLE api_keys (
        id          INTEGER PRIMARY KEY,
        name        TEXT    NOT NULL,
        role        TEXT    NOT NULL,
        prefix      TEXT    NOT NULL,
        hash        TEXT    NOT NULL UNIQUE,
        created_ms  INTEGER NOT NULL,
        created_by  TEXT    NOT NULL,
        revoked_ms  INTEGER,
        last_used_ms INTEGER
    );
    CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY,
        at_ms       INTEGER NOT NULL,
        actor       TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        target      TEXT    NOT NULL,
        outcome     TEXT    NOT NULL,
        detail      TEXT    NOT NULL DEFAULT ''
    );",
    // 5: each attempt's routing decision in its own table, written once.
    // In the tasks row (4 KB for 20 candidates) every status change
    // rewrote it: SQLite writes a whole record on any update.
    "CREATE TABLE task_routes (
        task_id     TEXT    NOT NULL,
        attempt     INTEGER NOT NULL,
        route       TEXT    NOT NULL,
        PRIMARY KEY (task_id, attempt)
    ) WITHOUT ROWID;
    INSERT INTO task_routes (task_id, attempt, route)
        SELECT id, MAX(attempts, 1), route FROM tasks WHERE route IS NOT NULL;
    ALTER TABLE tasks DROP COLUMN route;",
    // 6: the LLM gateway's answers to deterministic requests, by the
    // SHA-256 of what decides the answer (see `llm::cache`).
    "CREATE TABLE llm_cache (
        key         TEXT    PRIMARY KEY,
        model       TEXT    NOT NULL,
        body        BLOB    NOT NULL,
        created_ms  INTEGER NOT NULL,
        expires_ms  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX llm_cache_by_expiry ON llm_cache (expires_ms);",
    // 7: routing decisions in a rowid table. WITHOUT ROWID keeps whole rows
    // in the key's tree, so a 1 KB decision spilled into overflow pages and
    // every insert's search read whole decisions, overflow and all, to
    // compare keys: a quarter of the writer's time at thousands of tasks a
    // second. Now the decisions are appended, and the key is a small index.
    "CREATE TABLE task_routes_by_row (
        id          INTEGER PRIMARY KEY,
        task_id     TEXT    NOT NULL,
        attempt     INTEGER NOT NULL,
        route       TEXT    NOT NULL,
        UNIQUE (task_id, attempt)
    );
    INSERT INTO task_routes_by_row (task_id, attempt, route)
        SELECT task_id, attempt, route FROM task_routes ORDER BY task_id, attempt;
    DROP TABLE task_routes;
    ALTER TABLE task_routes_by_row RENAME TO task_routes;",
    // 8: where an audited action came from (`window`, `cli`, an API
    // caller's address); older rows have none.
    "ALTER TABLE audit_log ADD COLUMN origin TEXT NOT NULL DEFAULT '';",
    // 9: the epoch of each agent container's service tokens, new at every
    // (re)deploy, so a token of an earlier container is refused.
    "CREATE TABLE service_epochs (
        container   TEXT    PRIMARY KEY,
        epoch       TEXT    NOT NULL,
        issued_ms   INTEGER NOT NULL
    ) WITHOUT ROWID;",
    // 10: every saved version of every workflow definition, so no edit is
    // lost and a run can pin the version it started with.
    "CREATE TABLE workflow_versions (
        id          INTEGER PRIMARY KEY,
        workflow_id TEXT    NOT NULL,
        version     INTEGER NOT NULL,
        saved_ms    INTEGER NOT NULL,
        saved_by    TEXT    NOT NULL,
        hash        TEXT    NOT NULL,
        body        TEXT    NOT NULL,
        UNIQUE (workflow_id, version)
    );",
    // 11: workflow runs and their steps, each kept whole as JSON beside the
    // columns lists filter on. A run pins its definition version.
    "CREATE TABLE runs (
        id          TEXT    PRIMARY KEY,
        workflow_id TEXT    NOT NULL,
        version     INTEGER NOT NULL,
        status      TEXT    NOT NULL,
        created_ms  INTEGER NOT NULL,
        body        TEXT    NOT NULL
    );
    CREATE INDEX runs_by_workflow ON runs (workflow_id, created_ms);
    CREATE INDEX runs_by_status ON runs (status, created_ms);
    CREATE TABLE run_steps (
        run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step_id     TEXT    NOT NULL,
        position    INTEGER NOT NULL,
        body        TEXT    NOT NULL,
        PRIMARY KEY (run_id, step_id)
    ) WITHOUT ROWID;",
    // 12: a task's own retry backoff (a workflow step's), when it has one.
    "ALTER TABLE tasks ADD COLUMN backoff_ms INTEGER;",
    // 13: the designer's draft of each workflow, saved at every change so
    // no edit is lost before it becomes a version.
    "CREATE TABLE workflow_drafts (
        workflow_id TEXT    PRIMARY KEY,
        base        INTEGER,
        saved_ms    INTEGER NOT NULL,
        body        TEXT    NOT NULL
    ) WITHOUT ROWID;",
    // 14: each agent's auto-scaling policy, where one is set.
    "CREATE TABLE autoscale_policies (
        agent_id    TEXT    PRIMARY KEY,
        updated_ms  INTEGER NOT NULL,
        body        TEXT    NOT NULL
    ) WITHOUT ROWID;",
    // 15: every alert a rule raised: when it fired, resolved and was
    // acknowledged, and by whom.
    "CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY,
        fingerprint TEXT    NOT NULL,
        rule        TEXT    NOT NULL,
        name        TEXT    NOT NULL,
        subject     TEXT,
        severity    TEXT    NOT NULL,
        fired_ms    INTEGER NOT NULL,
        resolved_ms INTEGER,
        acked_ms    INTEGER,
        acked_by    TEXT
    );
    CREATE INDEX alerts_open ON alerts (fingerprint) WHERE resolved_ms IS NULL;
    CREATE INDEX alerts_by_time ON alerts (fired_ms);",
    // 16: what an event rule's alert was about; every desktop notification
    // sent; silences; the rules a person changed (the rest are defaults).
    "ALTER TABLE alerts ADD COLUMN detail TEXT;
    CREATE TABLE alert_notices (
        id           INTEGER PRIMARY KEY,
        at_ms        INTEGER NOT NULL,
        title        TEXT    NOT NULL,
        body         TEXT    NOT NULL,
        severity     TEXT    NOT NULL,
        fingerprints TEXT    NOT NULL
    );
    CREATE INDEX alert_notices_by_time ON alert_notices (at_ms);
    CREATE TABLE alert_silences (
        fingerprint TEXT    PRIMARY KEY,
        until_ms    INTEGER NOT NULL,
        by          TEXT    NOT NULL,
        at_ms       INTEGER NOT NULL
    );
    CREATE TABLE alert_rules (
        id         TEXT    PRIMARY KEY,
        rule       TEXT    NOT NULL,
        updated_ms INTEGER NOT NULL,
        updated_by TEXT    NOT NULL
    );",
    // 17: every input the threat gate refused or held: what the scanner
    // found, the held request until a person decides, and what it became.
    "CREATE TABLE threats (
        id           INTEGER PRIMARY KEY,
        at_ms        INTEGER NOT NULL,
        source       TEXT    NOT NULL,
        submitted_by TEXT    NOT NULL,
        excerpt      TEXT    NOT NULL,
        score        REAL    NOT NULL,
        patterns     TEXT    NOT NULL,
        action       TEXT    NOT NULL,
        request      TEXT,
        decided_by   TEXT,
        decided_ms   INTEGER,
        result_id    TEXT
    );",
    // 18: the message bus: each message once, one delivery per recipient
    // (the due ones found by status and time), and the agents' topics.
    "CREATE TABLE messages (
        seq             INTEGER PRIMARY KEY,
        id              TEXT    NOT NULL UNIQUE,
        sender_id       TEXT    NOT NULL,
        recipient_id    TEXT,
        message_type    TEXT    NOT NULL,
        pattern         TEXT    NOT NULL,
        priority        INTEGER NOT NULL,
        topic           TEXT,
        payload         TEXT    NOT NULL,
        metadata        TEXT    NOT NULL,
        correlation_id  TEXT,
        created_ms      INTEGER NOT NULL,
        expires_ms      INTEGER
    );
    CREATE INDEX messages_by_sender ON messages (sender_id, seq);
    CREATE INDEX messages_by_topic ON messages (topic, seq) WHERE topic IS NOT NULL;
    CREATE INDEX messages_by_correlation ON messages (correlation_id) WHERE correlation_id IS NOT NULL;
    CREATE INDEX messages_by_created ON messages (created_ms);
    CREATE TABLE deliveries (
        message_id      TEXT    NOT NULL,
        recipient       TEXT    NOT NULL,
        status          TEXT    NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        error           TEXT,
        finished_ms     INTEGER,
        priority        INTEGER NOT NULL,
        created_ms      INTEGER NOT NULL,
        expires_ms      INTEGER,
        PRIMARY KEY (message_id, recipient)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt_ms);
    CREATE INDEX deliveries_by_recipient ON deliveries (recipient, status);
    CREATE TABLE subscriptions (
        agent_id    TEXT    NOT NULL,
        topic       TEXT    NOT NULL,
        created_ms  INTEGER NOT NULL,
        PRIMARY KEY (topic, agent_id)
    ) WITHOUT ROWID;
    CREATE INDEX subscriptions_by_agent ON subscriptions (agent_id);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection, label: &str) -> Result<i64, StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: label.to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= found {
            continue; // applied already
        }
        let step = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()
        };
        step(conn).map_err(|source| StoreError::Migrate { version, source })?;
    }
    Ok(SCHEMA_VERSION)
}
