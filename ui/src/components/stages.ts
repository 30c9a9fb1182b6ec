import type { DeployStage } from "../ipc";

/** How a deploy stage reads, in the Deploy view and an agent's history. */
export const STAGE_LABELS: Record<DeployStage, string> = {
  pending: "pending",
  creating: "creating",
  starting: "starting",
  healthy: "healthy",
  unchanged: "unchanged",
  failed: "failed",
  rolled_back: "rolled back",
};
