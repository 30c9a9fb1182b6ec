// The charts the Metrics view shows: the fleet's, and four per picked agent.
import type { ChartDef } from "../../stores/metrics";

/** A chart and what its empty state tells the person to do. */
export type Shown = { def: ChartDef; empty: string };

const TASKS_HINT = "Deploy a phase (Deploy view) and submit tasks (Tasks view) to see it move.";

export const FLEET_CHARTS: Shown[] = [
  {
    def: {
      id: "throughput",
      title: "Throughput (tasks/s)",
      series: [
        "tasks_succeeded",
        "tasks_failed",
      ],
    },
    empty: `No task ended in this range. ${TASKS_HINT}`,
  },
  {
    def: { id: "success-rate", title: "Success rate", series: ["success_rate"] },
    empty: `No task ended in this range. ${TASKS_HINT}`,
  },
  {
    def: {
      id: "latency",
      title: "Task latency",
      series: [
        "task_latency_ms:p50",
        "task_latency_ms:p95",
        "task_latency_ms:p99",
      ],
    },
    empty: `No task ended in this range. ${TASKS_HINT}`,
  },
  {
    def: { id: "healthy-agents", title: "Healthy agents", series: [
      "agents_healthy",
      "agents_deployed",
    ] },
    empty: "No agent was deployed in this range. Deploy a phase (Deploy view) to see agent metrics.",
  },
  {
    def: { id: "agents-cpu", title: "CPU of all agents (% of one core)", series: ["cpu_percent"] },
    empty: "No agent container ran in this range. Deploy a phase (Deploy view) to see agent metrics.",
  },
  {
    def: { id: "agents-memory", title: "Memory of all agents", series: ["memory_bytes"] },
    empty: "No agent container ran in this range. Deploy a phase (Deploy view) to see agent metrics.",
  },
  {
    def: {
      id: "llm-tokens",
      title: "LLM tokens/s",
      series: [
        "llm_tokens_in",
        "llm_tokens_out",
      ],
    },
    empty: "No LLM call went through the gateway in this range. Tasks that think with a model use it.",
  },
  {
    def: {
      id: "app-cpu",
      title: "What the app costs: CPU (% of one core)",
      series: [
        "app_cpu_percent",
        "machine_cpu_percent",
      ],
    },
    empty: "No sample in this range: the app was not running.",
  },
  {
    def: { id: "app-memory", title: "What the app costs: memory", series: ["app_memory_bytes"] },
    empty: "No sample in this range: the app was not running.",
  },
];

/** The four charts of one agent. */
export function agentCharts(agent: string): Shown[] {
  const notRunning = `${agent} had no container in this range. Deploy its phase (Deploy view) to see its metrics.`;
  const noTasks = `${agent} ended no task in this range. Submit tasks it can take (Tasks view) to see it move.`;
  const slug = agent.toLowerCase();
  return [
    {
      def: { id: `${slug}-cpu`, title: `${agent} CPU (% of one core)`, series: [`cpu_percent{${agent}}`] },
      empty: notRunning,
    },
    {
      def: { id: `${slug}-memory`, title: `${agent} memory`, series: [`memory_bytes{${agent}}`] },
      empty: notRunning,
    },
    {
      def: {
        id: `${slug}-tasks`,
        title: `${agent} tasks/s`,
        series: [
          `tasks_succeeded{${agent}}`,
          `tasks_failed{${agent}}`,
        ],
      },
      empty: noTasks,
    },
    {
      def: {
        id: `${slug}-latency`,
        title: `${agent} latency p95`,
        series: [`task_latency_ms:p95{${agent}}`],
      },
      empty: noTasks,
    },
  ];
}
