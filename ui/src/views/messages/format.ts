// Words of the Messages view: types, patterns, priorities, delivery states
// and where a message went.
import type { DeliveryCounts, DeliveryStatus, Message, MessageType, Pattern, Priority } from "../../ipc";

/** Seed 001's message types, plus the broadcast's announcement. */
export const MESSAGE_TYPES: MessageType[] = [
  "task_request",
  "task_response",
  "status_update",
  "health_check",
  "coordination_message",
  "system_command",
  "system_announcement",
];

export const PATTERNS: { value: Pattern; label: string }[] = [
  { value: "point_to_point", label: "Point-to-point (one agent)" },
  { value: "request_response", label: "Request-response (wait for the reply)" },
  { value: "broadcast", label: "Broadcast (every deployed agent)" },
  { value: "publish_subscribe", label: "Publish to a topic" },
];

export const PRIORITIES: Priority[] = ["low", "normal", "high", "critical"];

export const DELIVERY_STATUSES: DeliveryStatus[] = ["pending", "delivered", "replied", "dead", "expired"];

export const DELIVERY_BADGE: Record<DeliveryStatus, string> = {
  pending: "badge-checking",
  delivered: "badge-connected",
  replied: "badge-connected",
  dead: "badge-unreachable",
  expired: "badge-unknown",
};

export const PRIORITY_BADGE: Record<Priority, string> = {
  low: "badge-unknown",
  normal: "badge-idle",
  high: "badge-checking",
  critical: "badge-unreachable",
};

/** `task_request` → `task request`. */
export function words(name: string): string {
  return name.replaceAll("_", " ");
}

/** Where a message went: its recipient, "every agent" or its topic. */
export function destination(message: Message): string {
  switch (message.pattern) {
    case "broadcast":
      return "every agent";
    case "publish_subscribe":
      return `topic ${message.topic ?? "?"}`;
    default:
      return message.recipientId ?? "—";
  }
}

/** "2 delivered · 1 dead", in the order a delivery goes; "no recipient"
 * when the message reached nobody (a broadcast with nothing deployed). */
export function countsText(counts: DeliveryCounts): string {
  const parts = DELIVERY_STATUSES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length > 0 ? parts.join(" · ") : "no recipient";
}

/** Whether a message has deliveries to re-queue (dead or expired). */
export function canRequeue(counts: DeliveryCounts): boolean {
  return counts.dead + counts.expired > 0;
}
