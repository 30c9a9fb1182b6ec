// Every view the product has, in navigation order, with its component.
import type { ComponentType } from "react";
import type { ViewId } from "../stores/nav";
import { Agents } from "./Agents";
import { Deploy } from "./Deploy";
import { Metrics } from "./Metrics";
import { Models } from "./Models";
import { Overview } from "./Overview";
import { Security } from "./Security";
import { Settings } from "./Settings";
import { Tasks } from "./Tasks";
import { Workflows } from "./Workflows";

export type { ViewId };

export type View = {
  id: ViewId;
  label: string;
  /** What the view is for (shown as the page subtitle). */
  purpose: string;
  component: ComponentType;
};

export const VIEWS: View[] = [
  {
    id: "overview",
    label: "Overview",
    purpose: "Is everything the fleet needs reachable right now?",
    component: Overview,
  },
  {
    id: "agents",
    label: "Agents",
    purpose:
      "The registry of all 69 SutazAI agents with live status, CPU and memory: filter by phase, capability and status; start, stop, restart and scale them; follow each one's logs, resource use and history.",
    component: Agents,
  },
  {
    id: "deploy",
    label: "Deploy",
    purpose:
      "Deploy a whole phase of agents (20, 25 or 24 containers) with one click, watch each agent come up healthy, and roll the phase back as easily.",
    component: Deploy,
  },
  {
    id: "workflows",
    label: "Workflows",
    purpose:
      "Design multi-agent workflows by drag and drop, run them and watch every step live: its agent and why, timings, tokens and I/O; approve, cancel or re-run from a step.",
    component: Workflows,
  },
  {
    id: "tasks",
    label: "Tasks",
    purpose:
      "Submit tasks, see which agent the router chose and why, and follow each attempt to its result.",
    component: Tasks,
  },
  {
    id: "models",
    label: "Models",
    purpose:
      "Manage Ollama models: what is installed and loaded, which agents prefer each, pull a model with live progress, and what the LLM gateway served.",
    component: Models,
  },
  {
    id: "metrics",
    label: "Metrics",
    purpose:
      "Live charts of throughput, success rate, latency percentiles, container resources and what the app itself costs, for the fleet and for the agents you pick, over 5 minutes to 30 days; hover a chart to read its values, export it as a PNG.",
    component: Metrics,
  },
  {
    id: "security",
    label: "Security",
    purpose: "Security alerts, the audit log of every control action, container audit findings and API keys.",
    component: Security,
  },
  {
    id: "settings",
    label: "Settings",
    purpose: "The effective configuration, with where each value came from.",
    component: Settings,
  },
];
