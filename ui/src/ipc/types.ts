// Generated from the Rust types by `src-tauri/src/ipc.rs`; do not edit.
// Regenerate: UPDATE_BINDINGS=1 cargo test --workspace bindings

export type AgentAction = "start" | "stop" | "restart" | "remove";

export type AgentRef = { id: string, title: string, };

export type AgentRow = { id: string, name: string, title: string, phase: number, kind: string, port: number, capabilities: Array<string>, status: AgentStatus, containerId: string | null, 
/**
 * When `/health` last answered ok (ms since the Unix epoch).
 */
healthyAtMs: number | null, 
/**
 * Unplanned exits the watch has seen (each one healed or flapping).
 */
restarts: number, 
/**
 * Why the agent is not healthy, when known.
 */
reason: string | null, 
/**
 * Containers running this agent (more than 1 when scaled).
 */
instances: number, };

export type AgentStatus = "unknown" | "not_deployed" | "starting" | "healthy" | "unhealthy" | "stopped" | "flapping";

export type Alert = { id: number, 
/**
 * Rule and subject: the same fingerprint never fires twice at once.
 */
fingerprint: string, rule: string, 
/**
 * The rule's name when it fired.
 */
name: string, 
/**
 * The agent it is about, for a rule of each agent.
 */
subject: string | null, severity: Severity, firedMs: number, resolvedMs: number | null, ackedMs: number | null, ackedBy: string | null, 
/**
 * What happened, for an event rule's alert (`exit code 137`).
 */
detail: string | null, };

export type AlertEvent = { fingerprint: string, rule: string, name: string, subject: string | null, severity: Severity, detail: string | null, 
/**
 * Fired (true) or resolved (false).
 */
fired: boolean, };

export type AlertNotice = { id: number, atMs: number, title: string, body: string, severity: Severity, 
/**
 * The alerts it told of.
 */
fingerprints: Array<string>, };

export type AlertQuery = { state: AlertState | null, severity: Severity | null, 
/**
 * The agent (or model, client, container) it is about.
 */
subject: string | null, 
/**
 * Words in its name, rule, subject or detail.
 */
text: string | null, limit: number, };

export type AlertRules = { rules: Array<Rule>, defaults: Array<Rule>, };

export type AlertState = "open" | "unacknowledged" | "resolved";

export type AnomalySettings = { 
/**
 * After this many samples a sample's weight in the baseline has
 * halved.
 */
halfLife: number, 
/**
 * The first samples only teach the baseline: no score until this many
 * were learned.
 */
warmUp: number, 
/**
 * A value is anomalous past this many spreads from the baseline.
 */
k: number, 
/**
 * Which side of the baseline is bad.
 */
direction: Direction, 
/**
 * The spread is at least this, in the series' unit (never zero, so a
 * constant series still gives a finite score).
 */
minSpreadAbs: number, 
/**
 * The spread is at least this fraction of the baseline's mean.
 */
minSpreadRel: number, 
/**
 * After this many outliers in a row on the same side the baseline
 * restarts from them: a level shift becomes the new normal.
 */
adaptAfter: number, };

export type ApiKeyInfo = { id: number, name: string, role: Role, 
/**
 * The key's first characters, `sk_1a2b3c4d`.
 */
prefix: string, createdMs: number, createdBy: string, revokedMs: number | null, lastUsedMs: number | null, };

export type Attempt = { number: number, agentId: string, container: string, 
/**
 * The chosen agent's score.
 */
score: number | null, startedMs: number, finishedMs: number | null, 
/**
 * None while running.
 */
outcome: AttemptOutcome | null, };

export type AttemptOutcome = { "kind": "succeeded" } | { "kind": "failed", failure: TaskFailure, 
/**
 * Whether the task was retried after it.
 */
retried: boolean, } | { "kind": "cancelled" } | { "kind": "interrupted" };

export type AuditEntry = { id: number, atMs: number, 
/**
 * `desktop`, `key:<name>`, `agent:<id>`, `cli`, `anonymous`.
 */
actor: string, 
/**
 * Where it came from: `window`, `cli`, or the API caller's `ip:port`.
 */
origin: string, 
/**
 * `task.submit`, `task.cancel`, `task.requeue`, `key.create`,
 * `key.revoke`, `fleet.deploy`, `fleet.undeploy`, `fleet.scale`,
 * `agent.start|stop|restart|remove`, `model.pull`, `model.delete`,
 * `ollama.start`, `api.refused`.
 */
action: string, target: string, 
/**
 * `ok`, `refused: <why>` or `failed: <why>`.
 */
outcome: string, detail: string, };

export type AutoscalePolicy = { min: number, max: number, signal: Signal, 
/**
 * Above this (the window's mean) one instance is added.
 */
scaleUpAbove: number, 
/**
 * Below this one is removed.
 */
scaleDownBelow: number, 
/**
 * The window the signal is averaged over (10..=3600 s).
 */
windowS: number, 
/**
 * No change sooner than this after the last one (0..=86400 s).
 */
cooldownS: number, };

export type BreakerState = "closed" | "open" | "half_open";

export type CapabilityInfo = { capability: string, 
/**
 * The agents that have it, by id.
 */
agents: Array<CapableAgent>, 
/**
 * Every task type at least one of them knows, sorted (`echo` included).
 */
taskTypes: Array<string>, };

export type CapableAgent = { id: string, name: string, phase: number, 
/**
 * The task types it knows, sorted; the built-in `echo` among them.
 */
taskTypes: Array<string>, };

export type CatalogEvent = { "change": "added", id: string, } | { "change": "changed", id: string, } | { "change": "removed", id: string, } | { "change": "problems", problems: Array<Problem>, };

export type CatalogSummary = { dir: string, agents: number, 
/**
 * Agents in phase 1, 2 and 3.
 */
byPhase: Array<number>, problems: Array<Problem>, };

export type Change = { 
/**
 * `add`, `remove` or `replace`.
 */
op: string, 
/**
 * A JSON Pointer into the definition, e.g. `/steps/1/input/text`.
 */
path: string, before: unknown, after: unknown, };

export type Chart = { svg: string, plot: PlotArea, 
/**
 * Each series' words and colour, as the SVG draws them.
 */
legend: Array<LegendEntry>, reading: MetricsReading, };

export type ChartRequest = { query: MetricsQuery, spec: ChartSpec, };

export type ChartSpec = { title: string, 
/**
 * The image's size in pixels.
 */
width: number, height: number, 
/**
 * The viewer's clock ahead of UTC, for the time labels.
 */
utcOffsetMinutes: number, 
/**
 * Light text on a dark background.
 */
dark: boolean, };

export type Check = { 
/**
 * The benchmark's number: `5.4`.
 */
id: string, title: string, verdict: Verdict, 
/**
 * How bad the finding is: `critical` or `warning` for a warn, `info`
 * for an info, none for a pass or a rule that does not apply.
 */
severity: FindingSeverity | null, 
/**
 * What was found, for people.
 */
detail: string, 
/**
 * What to change (a `docker run` flag, a compose key), for a warn or an info.
 */
fix: string | null, };

export type ClientKind = "apiKey" | "agent";

export type ClientRate = { 
/**
 * `key:<api key id>` or `agent:<agent id>`.
 */
client: string, kind: ClientKind, 
/**
 * The requests it may make a minute (and in one burst).
 */
limitPerMinute: number, 
/**
 * Requests let through in the last 60 seconds.
 */
allowedLastMinute: number, 
/**
 * Requests refused in the last 60 seconds.
 */
refusedLastMinute: number, 
/**
 * Requests refused since the client was first seen (or last forgotten).
 */
refusedTotal: number, 
/**
 * When it was last refused.
 */
lastRefusedMs: number | null, };

export type Code = "data_dir" | "store" | "catalog" | "docker_missing" | "docker_refused" | "docker_timeout" | "docker_error" | "ollama_unreachable" | "ollama_timeout" | "ollama_error" | "program_start" | "engine_unavailable" | "agent_image" | "unknown_agent" | "invalid_request" | "not_found" | "conflict" | "forbidden" | "unauthorized" | "invalid_workflow" | "threat_blocked" | "input_held";

export type Column = { 
/**
 * Where the column starts.
 */
atMs: number, min: number, max: number, mean: number, };

export type Comparison = "above" | "below";

export type ConfigIssue = { 
/**
 * The file path or `environment variable NAME`.
 */
origin: string, 
/**
 * The key concerned, when the problem is about one key.
 */
key: string | null, problem: string, };

export type ConfigReport = { 
/**
 * The config file that was looked for (it may not exist).
 */
file: string | null, fileFound: boolean, values: Array<ConfigValue>, issues: Array<ConfigIssue>, 
/**
 * Values taken as set that deserve a second look (an API other
 * machines can reach).
 */
warnings: Array<ConfigIssue>, };

export type ConfigSource = { "kind": "default" } | { "kind": "file", path: string, } | { "kind": "env", var: string, };

export type ConfigValue = { key: string, value: string, source: ConfigSource, help: string, };

export type ContainerAudit = { 
/**
 * Its name, without Docker's leading `/`.
 */
container: string, 
/**
 * Docker's id.
 */
id: string, 
/**
 * The image it was created from, as given (`sutazai-agent:0.1.0`).
 */
image: string, 
/**
 * Whether the app made it (it carries the app's label).
 */
ours: boolean, 
/**
 * The catalog agent it runs, for one of ours.
 */
agentId: string | null, running: boolean, checks: Array<Check>, 
/**
 * Warns of severity `warning`.
 */
warnings: number, 
/**
 * Warns of severity `critical`.
 */
critical: number, };

export type ContainerStats = { agentId: string, container: string, instance: number, 
/**
 * Percent of one core since the previous sample (none on the first).
 */
cpuPercent: number | null, 
/**
 * Memory in use, not counting reclaimable page cache (as `docker stats`).
 */
memoryBytes: number, memoryLimitBytes: number | null, 
/**
 * Bytes received and sent since the container started.
 */
netRxBytes: number, netTxBytes: number, netRxPerS: number | null, netTxPerS: number | null, atMs: number, source: StatsSource, };

export type ContextValue = { name: string, value: unknown, 
/**
 * The step that wrote it.
 */
step: string, 
/**
 * Gone after this (unix ms); none: kept as long as the run.
 */
expiresMs: number | null, };

export type CreatedKey = { key: string, info: ApiKeyInfo, };

export type DataFacts = { dataDir: string, database: string, schemaVersion: number, logDir: string, 
/**
 * Earlier runs of the app that ended without a clean stop.
 */
uncleanPreviousRuns: number, };

export type Decision = { approve: boolean, 
/**
 * `desktop` or `key:<name>`.
 */
by: string, atMs: number, note: string, };

export type Definition = { file: string, workflow: Workflow | null, problems: Array<WorkflowProblem>, 
/**
 * Per step (in order), the steps it waits for: its `dependsOn` and
 * those its templates read (the graph's edges).
 */
needs: Array<Array<string>>, };

export type Delivery = { messageId: string, 
/**
 * An agent id, or `hub`.
 */
recipient: string, status: DeliveryStatus, 
/**
 * Attempts made so far.
 */
attempts: number, 
/**
 * When a pending delivery is tried next.
 */
nextAttemptMs: number, 
/**
 * Why the last attempt failed.
 */
error: string | null, 
/**
 * When it was delivered, dead or expired.
 */
finishedMs: number | null, };

export type DeliveryCounts = { pending: number, delivered: number, replied: number, dead: number, expired: number, };

export type DeliveryStatus = "pending" | "delivered" | "replied" | "dead" | "expired";

export type DeployEvent = { "kind": "started", phase: number, 
/**
 * The agents in dependency order.
 */
agents: Array<string>, memoryNeededMb: number, memoryAvailableMb: number, 
/**
 * Set when the phase's memory limits exceed what the host has free.
 */
warning: string | null, } | { "kind": "agent", phase: number, agentId: string, stage: DeployStage, reason: string | null, elapsedMs: number, } | { "kind": "finished" } & DeployReport;

export type DeployReport = { phase: number, total: number, healthy: number, unchanged: number, failed: Array<FailedAgent>, rolledBack: boolean, elapsedMs: number, };

export type DeployStage = "pending" | "creating" | "starting" | "healthy" | "unchanged" | "failed" | "rolled_back";

export type Direction = "above" | "below" | "both";

export type DockerFacts = { 
/**
 * The engine's version, e.g. `20.10.24+dfsg1`.
 */
version: string, 
/**
 * The API version spoken after negotiation, e.g. `1.41`.
 */
apiVersion: string, os: string, arch: string, containersRunning: number, containersTotal: number, };

export type Draft = { workflow: Workflow, 
/**
 * The version the edit started from; none for a new workflow.
 */
base: number | null, savedMs: number, };

export type EngineStatus = { 
/**
 * The Docker endpoint probed, e.g. `unix:///var/run/docker.sock`.
 */
dockerEndpoint: string, docker: Probe<DockerFacts>, 
/**
 * The Ollama URL probed.
 */
ollamaUrl: string, ollama: Probe<OllamaFacts>, data: DataFacts, 
/**
 * When the last check finished (ms since the Unix epoch); 0 before the first.
 */
checkedAtMs: number, };

export type ErrorBody = { code: Code, message: string, };

export type EventKind = "agentDied" | "agentOutOfMemory" | "agentUnhealthy" | "agentFlapping" | "agentRestarted" | "breakerOpened" | "taskDeadLettered" | "runFailed" | "runWaiting" | "ollamaDown" | "modelMissing" | "threatFound" | "rateLimited" | "tokensRefused" | "containerAudit" | "diskLow";

export type FailedAgent = { agentId: string, reason: string, };

export type FailurePolicy = "roll_back" | "keep_healthy";

export type FindingSeverity = "info" | "warning" | "critical";

export type FleetEvent = { "kind": "restarted", agentId: string, container: string, attempt: number, reason: string, } | { "kind": "died", agentId: string, container: string, 
/**
 * The exit code Docker reported, when it did.
 */
exitCode: bigint | null, } | { "kind": "outOfMemory", agentId: string, container: string, } | { "kind": "flapping", agentId: string, container: string, restarts: number, } | { "kind": "deployed", agentId: string, container: string, stage: DeployStage, reason: string | null, } | { "kind": "acted", agentId: string, action: AgentAction, } | { "kind": "scaled", agentId: string, instances: number, } | { "kind": "autoscaled", agentId: string, decision: ScaleDecision, 
/**
 * Whether the new instances came up (the reason when not).
 */
failed: string | null, } | { "kind": "replaced", agentId: string, container: string, reason: string, };

export type FleetEventRecord = { kind: string, 
/**
 * The event as JSON (the `FleetEvent` shape of the version that wrote it).
 */
detail: Record<string, unknown>, };

export type Gap = { fromMs: number, toMs: number, };

export type GatewayStats = { 
/**
 * One row per caller and model, ordered by caller then model.
 */
usage: Array<ModelUsage>, 
/**
 * One row per model (every caller), ordered by model. Its latencies
 * come from the callers' histograms merged, not from their p95s.
 */
byModel: Array<UsageTotal>, 
/**
 * One row per caller (every model), ordered by caller.
 */
byCaller: Array<UsageTotal>, };

export type HistoryEntry = { atMs: number, event: FleetEventRecord, };

export type Input = { name: string, type: ValueType, required: boolean, 
/**
 * Used when the run does not set it.
 */
default?: unknown, description: string, 
/**
 * Content to analyse, not instructions (code to scan, an order to
 * screen): the threat gate records what it finds in it but lets it
 * in, and a step of the workflow is expected to screen it.
 */
untrusted?: boolean, };

export type Kind = "gauge" | "rate" | "latency";

export type Label = "none" | "agent" | "model";

export type LegendEntry = { key: string, 
/**
 * Words for people: `tasks succeeded`, `AG-001 p95`.
 */
label: string, 
/**
 * `#rrggbb`.
 */
color: string, };

export type LoadedModel = { name: string, 
/**
 * Bytes in memory in all.
 */
size: number, 
/**
 * Of [`Self::size`], the bytes in GPU memory.
 */
sizeVram: number, 
/**
 * When Ollama unloads it unless it is used again (RFC 3339).
 */
expiresAt: string, 
/**
 * The context window it was loaded with, in tokens (newer Ollamas).
 */
contextLength: number | null, };

export type Merge = "all" | "first" | "majority";

export type Message = { 
/**
 * `m-<ms in base 36>-<random hex>`.
 */
id: string, 
/**
 * The agent (or `hub`, or the name a person's caller gave) that sent it.
 */
senderId: string, 
/**
 * The one recipient of a point-to-point or request-response message.
 */
recipientId: string | null, messageType: MessageType, pattern: Pattern, priority: Priority, 
/**
 * The topic of a published message.
 */
topic: string | null, payload: unknown, 
/**
 * What the sender adds about the message (a trace id, a reason): kept
 * and delivered, never read by the hub.
 */
metadata: unknown, 
/**
 * For a reply: the request it answers.
 */
correlationId: string | null, createdMs: number, 
/**
 * After this, a delivery not made yet is given up as `expired`.
 */
expiresMs: number | null, };

export type MessageChange = "sent" | "delivered" | "replied" | "retrying" | "dead" | "expired" | "requeued";

export type MessageDetail = { message: Message, deliveries: Array<Delivery>, 
/**
 * The messages whose `correlationId` is this one, oldest first.
 */
replies: Array<Message>, };

export type MessageEvent = { messageId: string, change: MessageChange, senderId: string, messageType: MessageType, priority: Priority, 
/**
 * The delivery the change is about (none for `sent`, `requeued`).
 */
recipient: string | null, attempts: number, error: string | null, };

export type MessagePage = { messages: Array<MessageSummary>, 
/**
 * How many messages pass the filters in all.
 */
total: number, };

export type MessageQuery = { 
/**
 * Sent by or to this agent.
 */
agent: string | null, topic: string | null, messageType: MessageType | null, 
/**
 * With at least one delivery in this state.
 */
status: DeliveryStatus | null, 
/**
 * At most this many (default 100, at most 1000).
 */
limit: number | null, 
/**
 * Skip this many of the newest (paging).
 */
offset: number | null, };

export type MessageSummary = { message: Message, deliveries: DeliveryCounts, };

export type MessageType = "task_request" | "task_response" | "status_update" | "health_check" | "coordination_message" | "system_command" | "system_announcement";

export type Metric = { name: string, help: string, unit: Unit, kind: Kind, label: Label, 
/**
 * Values are stored as whole multiples of this (the store's integers
 * compress far better than floats; a chart never shows finer).
 */
resolution: number, };

export type MetricsCatalog = { metrics: Array<Metric>, 
/**
 * Agents in the catalog, by id.
 */
agents: Array<string>, 
/**
 * Models the gateway has served.
 */
models: Array<string>, };

export type MetricsQuery = { 
/**
 * Series keys: `cpu_percent`, `cpu_percent{AG-001}`,
 * `task_latency_ms:p95{AG-001}`.
 */
series: Array<string>, fromMs: number, toMs: number, 
/**
 * Points at most (a chart's pixel width); default 800.
 */
width?: number, 
/**
 * Read this tier instead of the one the range picks.
 */
tier?: Tier, };

export type MetricsReading = { fromMs: number, toMs: number, width: number, tier: Tier, 
/**
 * Where the app was not running.
 */
gaps: Array<Gap>, series: Array<SeriesReading>, };

export type ModelInfo = { 
/**
 * The name with its tag, e.g. `llama3.2:1b`.
 */
name: string, 
/**
 * Bytes on disk.
 */
size: number, 
/**
 * The manifest digest (hex, without `sha256:`).
 */
digest: string, 
/**
 * When it was pulled or created, as Ollama writes it (RFC 3339).
 */
modifiedAt: string, 
/**
 * E.g. `llama`, `qwen2`; empty when Ollama does not say.
 */
family: string, 
/**
 * E.g. `3.2B`.
 */
parameterSize: string, 
/**
 * E.g. `Q4_K_M`.
 */
quantizationLevel: string, };

export type ModelRow = { model: ModelInfo, 
/**
 * Set while Ollama holds the model in memory (`/api/ps`).
 */
loaded: LoadedModel | null, 
/**
 * Agents whose preferred model this is.
 */
preferredBy: Array<AgentRef>, 
/**
 * Agents that fall back to this model.
 */
fallbackFor: Array<AgentRef>, };

export type ModelUsage = { 
/**
 * The agent (`AG-001`), or how a key or the desktop is labelled
 * (`key:ci-bot`, `desktop`).
 */
caller: string, 
/**
 * The model that answered (the fallback when it was used).
 */
model: string, 
/**
 * Every generate or chat call, cache hits and errors included.
 */
calls: number, 
/**
 * Calls answered from the cache, without Ollama.
 */
cacheHits: number, 
/**
 * Calls that did not end in a complete answer (an error status, a
 * timeout, a refusal for a busy model, a broken or error stream).
 */
errors: number, 
/**
 * Calls answered by the agent's fallback model.
 */
fallbacks: number, 
/**
 * `prompt_eval_count` summed over the final `done` lines.
 */
tokensIn: number, 
/**
 * `eval_count` summed over the final `done` lines.
 */
tokensOut: number, 
/**
 * Latency of the calls that reached Ollama, to the answer's last
 * byte (milliseconds).
 */
latencyP50Ms: number, latencyP95Ms: number, latencyMaxMs: number, };

export type ModelsOverview = { ollama: OllamaState, 
/**
 * The configured Ollama URL (where the app looks).
 */
ollamaUrl: string, 
/**
 * The `ollama` program on the app's `PATH`, when one is installed: what
 * "Start Ollama" runs (as `ollama serve`).
 */
ollamaProgram: string | null, 
/**
 * The URL is on this computer, so a started `ollama serve` can answer
 * there; for another computer's URL the view offers no Start.
 */
ollamaLocal: boolean, 
/**
 * Installed models by name; empty while Ollama is down.
 */
models: Array<ModelRow>, 
/**
 * Empty while Ollama is down (nothing is known then).
 */
unservedAgents: Array<UnservedAgent>, 
/**
 * The names being pulled now.
 */
pulling: Array<string>, };

export type Naming = { id: string, name: string, };

export type NewMessage = { 
/**
 * Who sends it; an agent caller is the sender whatever this says;
 * `hub` when neither says.
 */
senderId: string | null, recipientId: string | null, messageType: MessageType, pattern: Pattern, priority: Priority, topic: string | null, payload: unknown, metadata: unknown, 
/**
 * For a reply: the request it answers.
 */
correlationId: string | null, 
/**
 * Give up deliveries not made within this many milliseconds.
 */
expiresInMs: number | null, };

export type NewRun = { inputs: Record<string, unknown>, };

export type NewTask = { capability?: string, agentId?: string, taskType: string, 
/**
 * The input the task type's prompt template (or tool) reads.
 */
payload: unknown, 
/**
 * 1 (lowest) to 10 (highest); 5 when absent.
 */
priority?: number, 
/**
 * How long the task may take from submission, in ms (default: the
 * configured task timeout).
 */
timeoutMs?: number, 
/**
 * Submitting the same key again returns the first task instead of a
 * new one; the key goes to the agent with every attempt.
 */
idempotencyKey?: string, 
/**
 * Attempts before the task is dead (default: the configured number).
 */
maxAttempts?: number, 
/**
 * The first retry's delay ceiling in ms, doubling with each retry
 * (default: the configured one).
 */
retryBackoffMs?: number, name?: string, description?: string, 
/**
 * For a sub-task an agent delegates: the task it is working on.
 */
parentTaskId?: string, };

export type Note = { 
/**
 * 1–64 letters, digits, `-` and `_`; unique among the notes.
 */
id: string, text: string, position: Position, 
/**
 * The note's size on the canvas; the designer's default when absent.
 */
width?: number, height?: number, };

export type Notice = { title: string, body: string, severity: Severity, 
/**
 * The alerts it tells of (clicking it opens them).
 */
fingerprints: Array<string>, };

export type OllamaFacts = { version: string, modelCount: number, };

export type OllamaStarted = { pid: number, program: string, 
/**
 * `OLLAMA_HOST` of the child.
 */
host: string, 
/**
 * The app's log folder, where the child's output goes.
 */
logDir: string, };

export type OllamaState = { "state": "up", version: string, } | { "state": "down", code: Code, message: string, };

export type OnError = "stop" | "continue" | { "fallback": string };

export type OpenView = { view: string, alerts: Array<string>, };

export type Output = { name: string, 
/**
 * A template, e.g. `{{ steps.review.output }}`.
 */
from: string, };

export type Pattern = "point_to_point" | "broadcast" | "publish_subscribe" | "request_response";

export type PhaseSummary = { phase: number, agents: number, deployed: number, healthy: number, memoryNeededMb: number, memoryAvailableMb: number, };

export type PlotArea = { left: number, top: number, width: number, height: number, };

export type Position = { x: number, y: number, };

export type Priority = "low" | "normal" | "high" | "critical";

export type Probe<T> = { "state": "checking" } | { "state": "connected" } & T | { "state": "unreachable" } & ErrorBody;

export type Problem = { file: string, 
/**
 * One sentence per error, each naming the field path.
 */
errors: Array<string>, };

export type PullProgress = { 
/**
 * `pulling manifest`, `pulling <digest>`, `verifying sha256 digest`,
 * `writing manifest`, `success`.
 */
status: string, 
/**
 * The layer being downloaded (`sha256:…`), on `pulling <digest>` lines.
 */
digest?: string, 
/**
 * The layer's size in bytes.
 */
total?: number, 
/**
 * Bytes of the layer downloaded so far.
 */
completed?: number, };

export type Retry = { 
/**
 * Attempts in all, the first included (1–10).
 */
attempts: number, 
/**
 * The first retry's delay ceiling; it doubles each time.
 */
backoffMs: number, };

export type Role = "admin" | "operator" | "analyst" | "service" | "guest";

export type RouteDecision = { 
/**
 * Index into `candidates` of the chosen one; None when nobody can take
 * it now.
 */
chosen: number | null, 
/**
 * Every contender, in the order given.
 */
candidates: Array<ScoredCandidate>, 
/**
 * The weights as used (see [`Weights::normalised`]).
 */
weights: Weights, };

export type Rule = { id: string, name: string, severity: Severity, scope: Scope, signal: RuleSignal, 
/**
 * The window the signal is read over, in seconds.
 */
windowS: number, threshold: Threshold, enabled: boolean, 
/**
 * A workflow (by id) to start when the alert fires, with the alert as
 * its input `alert`; its first step must be an approval, so a person
 * decides before anything is done.
 */
remedy?: string, };

export type RuleSignal = { "kind": "mean", series: string, } | { "kind": "ratio", numerator: Array<string>, denominator: Array<string>, } | { "kind": "event", event: EventKind, } | { "kind": "anomaly", series: string, baseline: AnomalySettings, };

export type Run = { id: string, workflowId: string, workflowName: string, 
/**
 * The definition version the run started with and is drawn with.
 */
version: number, status: RunStatus, inputs: Record<string, unknown>, 
/**
 * The workflow's outputs, once it succeeded.
 */
outputs: Record<string, unknown> | null, 
/**
 * Named values steps shared (seed 003's context), with their expiry.
 */
context: Array<ContextValue>, error: TaskFailure | null, 
/**
 * Who started it: `desktop`, `key:<name>`.
 */
startedBy: string, createdMs: number, updatedMs: number, finishedMs: number | null, 
/**
 * The run this one re-ran, and the step it re-ran from.
 */
rerunOf: string | null, fromStep: string | null, saved: Saved | null, steps: Array<RunStep>, };

export type RunEvent = { run: RunSummary, };

export type RunPage = { runs: Array<RunSummary>, 
/**
 * How many runs match the filters in all.
 */
total: number, };

export type RunQuery = { workflowId?: string, status?: Array<RunStatus>, 
/**
 * At most this many (default 100, at most 1000).
 */
limit?: number, offset?: number, };

export type RunStatus = "queued" | "running" | "waiting" | "paused" | "succeeded" | "failed" | "cancelled";

export type RunStep = { 
/**
 * The step's id; a step a hierarchical plan added is `<parent>/<id>`.
 */
id: string, 
/**
 * The hierarchical step whose plan added this one.
 */
parent: string | null, title: string, 
/**
 * `task`, `forEach`, `collaborative`, `hierarchical`, `swarm`, `approval`.
 */
kind: string, status: StepStatus, 
/**
 * The input as rendered when the step started.
 */
input: unknown, 
/**
 * What later steps see as `steps.<id>.output`.
 */
output: unknown, tasks: Array<StepTask>, error: TaskFailure | null, startedMs: number | null, finishedMs: number | null, 
/**
 * For an approval step: how many approvals it needs, the decisions so
 * far, and when it times out.
 */
approvals: number, decisions: Array<Decision>, deadlineMs: number | null, 
/**
 * The run this step's output was taken from (re-run from a later step).
 */
reusedFrom: string | null, 
/**
 * Why the step waits before sending its task, while it does: the
 * agents that have its capability are deployed but none is healthy
 * (it goes on by itself once one is).
 */
held?: string, };

export type RunSummary = { id: string, workflowId: string, workflowName: string, version: number, status: RunStatus, startedBy: string, createdMs: number, updatedMs: number, finishedMs: number | null, stepsTotal: number, stepsDone: number, errorCode: string | null, rerunOf: string | null, };

export type Saved = { 
/**
 * Steps whose stored output was reused (none of their tasks ran again).
 */
steps: number, 
/**
 * Their run time in the original run.
 */
ms: number, 
/**
 * Their LLM tokens in the original run.
 */
tokens: number, };

export type SavedVersion = { version: number, problems: Array<WorkflowProblem>, };

export type ScaleDecision = { from: number, to: number, signal: Signal, 
/**
 * The signal's value over the window (per instance where it says so).
 */
value: number, 
/**
 * The threshold it crossed.
 */
threshold: number, windowS: number, };

export type ScaleReport = { agentId: string, instances: number, healthy: number, failed: Array<FailedAgent>, };

export type Scope = "fleet" | "eachAgent";

export type ScoredCandidate = { 
/**
 * The agent's catalog id.
 */
agentId: string, 
/**
 * The instance's container.
 */
container: string, 
/**
 * The instance's breaker when the router looked.
 */
breaker: BreakerState, 
/**
 * Calls in flight when the router looked.
 */
inFlight: number, 
/**
 * The concurrency limit as used (an unknown 0 shows as 1).
 */
maxConcurrency: number, 
/**
 * The error rate as used: clamped to 0..1, NaN as 1.
 */
errorRate: number, 
/**
 * The latency as used: negative as 0, NaN and infinite as `f64::MAX`.
 */
avgLatencyMs: number, 
/**
 * The weighted score (lower is better); None when excluded.
 */
score: number | null, 
/**
 * Why it could not take the task: "unhealthy", "breaker open", "probe
 * in flight", "at its concurrency limit (4/4)". None when eligible.
 */
excluded: string | null, };

export type SeriesReading = { key: string, metric: string, unit: Unit, columns: Array<Column>, };

export type Severity = "info" | "warning" | "critical";

export type Share = { 
/**
 * The name later templates read as `context.<key>`.
 */
key: string, 
/**
 * A template; it may read this step's own output.
 */
value: string, 
/**
 * How long the value lives; kept as long as the run when absent.
 */
ttlMs?: number, };

export type Signal = "tasks" | "latencyP95Ms" | "cpu";

export type Silence = { fingerprint: string, untilMs: number, by: string, atMs: number, };

export type StatsSource = "cgroup_v1" | "cgroup_v2" | "docker_api";

export type StatusCount = { status: TaskStatus, count: number, };

export type Step = { 
/**
 * 1–64 letters, digits, `-` and `_`; unique in the workflow.
 */
id: string, title: string, 
/**
 * What the step is (a task, unless said otherwise).
 */
kind: StepKind, 
/**
 * The agent that must run it; or else `capability`.
 */
agent?: string, 
/**
 * Any healthy agent with this capability runs it (the router picks).
 */
capability?: string, 
/**
 * The task type the agent offers (every kind but `approval`).
 */
taskType?: string, 
/**
 * The task's payload; every string in it is a template.
 */
input: unknown, 
/**
 * Steps that must end first, besides those the templates name.
 */
dependsOn: Array<string>, retry?: Retry, 
/**
 * How long one attempt may take (default: the task timeout).
 */
timeoutMs?: number, 
/**
 * A condition over earlier outputs; false skips the step.
 */
when?: string, onError: OnError, 
/**
 * Values the step shares with the steps after it when it succeeds
 * (seed 003's shared context), read there as `context.<key>`.
 */
share?: Array<Share>, 
/**
 * Where the designer draws the step (ignored by runs).
 */
position?: Position, };

export type StepEvent = { runId: string, step: RunStep, };

export type StepKind = { "type": "task" } | { "type": "forEach", over: string, } | { "type": "collaborative", agents: number, merge: Merge, } | { "type": "hierarchical", maxSteps: number, maxDepth: number, } | { "type": "swarm", agents: number, rounds: number, } | { "type": "approval", approvals: number, timeoutMs: number, };

export type StepStatus = "pending" | "running" | "retrying" | "waiting" | "succeeded" | "failed" | "skipped" | "cancelled";

export type StepTask = { 
/**
 * Which item (forEach), agent (collaborative) or round and agent
 * (swarm) the task is for; none for a single task.
 */
item: string | null, taskId: string, 
/**
 * The agent that ran it, and why the router chose it.
 */
agent: string | null, why: string | null, attempts: number, 
/**
 * Ended: succeeded, failed, dead or cancelled; else none.
 */
outcome: string | null, 
/**
 * LLM tokens the task's answer cost (prompt + completion).
 */
tokens: number, durationMs: number | null, };

export type Stray = { container: string, state: string, reason: string, };

export type Task = { id: string, status: TaskStatus, priority: number, capability: string | null, 
/**
 * The agent the submitter named, if any.
 */
agentId: string | null, taskType: string, payload: unknown, name: string | null, description: string | null, idempotencyKey: string, createdMs: number, updatedMs: number, deadlineMs: number, finishedMs: number | null, attempts: number, maxAttempts: number, 
/**
 * Its own first retry delay ceiling, when it has one.
 */
retryBackoffMs: number | null, 
/**
 * The agent that holds or last held it.
 */
assignedAgent: string | null, assignedContainer: string | null, 
/**
 * The last routing decision: every candidate, its score, who won.
 * Shared, not copied: a task is cloned several times on its way and
 * the decision holds every candidate.
 */
route: RouteDecision | null, attemptLog: Array<Attempt>, 
/**
 * The agent's output (`{kind, text, json?, codeBlocks?}`) and what it
 * cost (`usage`: model, tokens, LLM time), when it succeeded.
 */
result: unknown, 
/**
 * The last error (kept on dead tasks: the dead-letter reason).
 */
error: TaskFailure | null, 
/**
 * Who submitted it: `ui`, `key:<name>`, `agent:<id>`.
 */
submittedBy: string, parentId: string | null, 
/**
 * The agents that delegated down to this task, first to last.
 */
delegationChain: Array<string>, };

export type TaskFailure = { 
/**
 * The agent's error code (`deadline_exceeded`, `payload_invalid`, …) or
 * the hub's (`unreachable`, `no_agent`, `cancelled`, `timeout`).
 */
code: string, message: string, };

export type TaskPage = { tasks: Array<TaskSummary>, 
/**
 * How many tasks match the filters in all.
 */
total: number, 
/**
 * Tasks per status over all tasks (for the view's counters).
 */
counts: Array<StatusCount>, };

export type TaskQuery = { status?: Array<TaskStatus>, capability?: string, agentId?: string, 
/**
 * At most this many (default 100, at most 1000).
 */
limit?: number, 
/**
 * Skip this many (paging).
 */
offset?: number, };

export type TaskStatus = "queued" | "dispatched" | "running" | "succeeded" | "failed" | "dead" | "cancelled";

export type TaskSummary = { id: string, status: TaskStatus, priority: number, capability: string | null, taskType: string, name: string | null, assignedAgent: string | null, attempts: number, createdMs: number, updatedMs: number, finishedMs: number | null, errorCode: string | null, };

export type TasksChanged = { 
/**
 * The changed tasks, in no particular order; empty when `complete` is false.
 */
tasks: Array<TaskSummary>, 
/**
 * False when more tasks changed than one event carries, or changes
 * were missed: any task may have changed.
 */
complete: boolean, };

export type Template = { 
/**
 * The template's own id (its file name in `agents/workflows/`).
 */
id: string, name: string, description: string, steps: number, 
/**
 * The names of the inputs a run asks for.
 */
inputs: Array<string>, };

export type Threat = { id: number, atMs: number, source: ThreatSource, 
/**
 * Who submitted it: `desktop`, `key:<name>`, `agent:<id>`.
 */
by: string, 
/**
 * The input's first [`EXCERPT_CHARS`] characters.
 */
excerpt: string, score: number, 
/**
 * The names of the patterns that matched.
 */
patterns: Array<string>, action: ThreatAction, 
/**
 * Who approved or rejected it.
 */
decidedBy: string | null, decidedMs: number | null, 
/**
 * The task's or run's id, once approved.
 */
resultId: string | null, };

export type ThreatAction = "blocked" | "held" | "approved" | "rejected" | "forwarded";

export type ThreatSource = "task" | "run";

export type Threshold = { comparison: Comparison, 
/**
 * Past this the condition holds.
 */
value: number, 
/**
 * The value must come back past this (on the good side of `value`) to
 * count as good: hysteresis. Equal to `value` for none.
 */
clear: number, 
/**
 * The condition must hold this long before the alert fires.
 */
forS: number, 
/**
 * A firing alert resolves only after the value stayed good this long.
 */
keepFiringS: number, };

export type Tier = "second" | "minute" | "hour";

export type Topic = { name: string, subscribers: Array<string>, };

export type Unit = "percent" | "bytes" | "bytesPerSecond" | "perSecond" | "count" | "milliseconds" | "ratio";

export type UnservedAgent = { agent: AgentRef, preferred: string, fallback: string, };

export type UsageTotal = { 
/**
 * The model, or the caller (an agent id, `key:NAME`, `desktop`).
 */
name: string, calls: number, cacheHits: number, errors: number, fallbacks: number, tokensIn: number, tokensOut: number, 
/**
 * Cache hits per call, 0 to 1 (0 without calls).
 */
cacheHitRate: number, latencyP50Ms: number, latencyP95Ms: number, latencyMaxMs: number, };

export type ValueType = "string" | "number" | "boolean" | "list" | "object" | "any";

export type Verdict = "pass" | "warn" | "info" | "not_applicable";

export type VersionInfo = { version: number, savedMs: number, 
/**
 * `desktop`, `key:<name>`, or `disk` for an edit found on disk.
 */
savedBy: string, 
/**
 * SHA-256 of the body, hex.
 */
hash: string, };

export type Warning = { step: string | null, message: string, };

export type Weights = { 
/**
 * Calls in flight over the concurrency limit.
 */
load: number, 
/**
 * Recent share of failed calls.
 */
errorRate: number, 
/**
 * Recent average latency over the slowest eligible contender's.
 */
latency: number, };

export type Workflow = { 
/**
 * The JSON Schema editors check the file against (ignored here).
 */
$schema?: string, 
/**
 * 1–64 lowercase letters, digits, `-` and `_`; the file is `<id>.json`.
 */
id: string, name: string, description: string, inputs: Array<Input>, outputs: Array<Output>, steps: Array<Step>, 
/**
 * Sticky notes on the designer's canvas, for people (ignored by runs).
 */
notes?: Array<Note>, };

export type WorkflowImport = { 
/**
 * The path of the file read.
 */
file: string, workflow: Workflow, taken: boolean, 
/**
 * An id no workflow has used here: the id itself when it is free.
 */
freeId: string, };

export type WorkflowProblem = { 
/**
 * The step concerned, when the problem is about one.
 */
step: string | null, 
/**
 * Where in the file, e.g. `steps[2].input.text`.
 */
path: string, message: string, };

export type WorkflowsChanged = { 
/**
 * The files' names (`code_review.json`), sorted.
 */
files: Array<string>, };

