import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentRow, Delivery, Message, MessageEvent, MessageSummary, NewMessage } from "../ipc";
import { backend, callsOf, fakeEvents, type Answers } from "../ipc/testing";
import { T0 } from "../ipc/fixtures";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useAgentsStore } = await import("../stores/agents");
const { useMessagesStore } = await import("../stores/messages");
const { Messages } = await import("./Messages");

function agent(id: string, name: string): AgentRow {
  return {
    id,
    name,
    title: name,
    phase: 1,
    kind: "core",
    port: 8001,
    capabilities: ["orchestration"],
    status: "healthy",
    containerId: "c1",
    healthyAtMs: T0,
    restarts: 0,
    reason: null,
    instances: 1,
  };
}

const AGENTS = [agent("AG-001", "agentzero-coordinator"), agent("AG-005", "task-manager")];

function message(id: string, change: Partial<Message> = {}): Message {
  return {
    id,
    senderId: "hub",
    recipientId: "AG-005",
    messageType: "coordination_message",
    pattern: "point_to_point",
    priority: "normal",
    topic: null,
    payload: { text: "hello" },
    metadata: {},
    correlationId: null,
    createdMs: T0,
    expiresMs: null,
    ...change,
  };
}

function delivery(m: Message, recipient: string, change: Partial<Delivery> = {}): Delivery {
  return {
    messageId: m.id,
    recipient,
    status: "delivered",
    attempts: 1,
    nextAttemptMs: T0,
    error: null,
    finishedMs: T0 + 5,
    ...change,
  };
}

/** A bus holding messages with their deliveries and replies. */
class FakeBus {
  messages: { message: Message; deliveries: Delivery[]; replies: Message[] }[] = [];

  summary(i: (typeof this.messages)[number]): MessageSummary {
    const counts = { pending: 0, delivered: 0, replied: 0, dead: 0, expired: 0 };
    for (const d of i.deliveries) counts[d.status] += 1;
    return { message: i.message, deliveries: counts };
  }

  answers(more: Answers = {}): Answers {
    return {
      list_agents: AGENTS,
      list_topics: [{ name: "all", subscribers: ["AG-001", "AG-005"] }],
      list_messages: ({ query }) => {
        const shown = this.messages
          .filter((i) => !query.status || i.deliveries.some((d) => d.status === query.status))
          .filter((i) => !query.agent || i.message.senderId === query.agent || i.message.recipientId === query.agent);
        return { messages: shown.map((i) => this.summary(i)), total: shown.length };
      },
      get_message: ({ messageId }) => {
        const found = this.messages.find((i) => i.message.id === messageId);
        if (!found) throw { code: "not_found", message: `no message ${messageId}` };
        return found;
      },
      ...more,
    };
  }
}

function select(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

beforeEach(() => {
  invoke.mockReset();
  useAgentsStore.setState(useAgentsStore.getInitialState(), true);
  useMessagesStore.setState(useMessagesStore.getInitialState(), true);
});
afterEach(cleanup);

describe("Messages: send", () => {
  it("sends what the form says and opens the message", async () => {
    const fake = new FakeBus();
    backend(
      invoke,
      fake.answers({
        send_message: ({ message: sent }) => {
          const m = message("m-1", { ...sent, senderId: "hub", priority: sent.priority });
          fake.messages.unshift({ message: m, deliveries: [delivery(m, "AG-005", { status: "pending", attempts: 0, finishedMs: null })], replies: [] });
          return m;
        },
      }),
    );
    render(<Messages />);
    await waitFor(() => expect(screen.getByTestId("message-recipient").querySelectorAll("option").length).toBe(4));
    expect((screen.getByTestId("message-send") as HTMLButtonElement).disabled).toBe(true);

    select("message-recipient", "AG-005");
    select("message-priority", "high");
    fireEvent.change(screen.getByTestId("message-payload-input"), { target: { value: "{ broken" } });
    expect(screen.getByTestId("message-payload-error")).toBeTruthy();
    expect((screen.getByTestId("message-send") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("message-payload-input"), { target: { value: '{"n": 1}' } });
    fireEvent.click(screen.getByTestId("message-send"));

    await waitFor(() => expect(screen.getByTestId("message-sent").textContent).toBe("Sent m-1"));
    const sent = callsOf(invoke, "send_message")[0]!.message as NewMessage;
    expect(sent).toMatchObject({
      recipientId: "AG-005",
      pattern: "point_to_point",
      priority: "high",
      payload: { n: 1 },
      topic: null,
      expiresInMs: null,
    });
    await waitFor(() => expect(screen.getByTestId("message-detail")).toBeTruthy());
    expect(screen.getByTestId("delivery-status-AG-005").textContent).toBe("pending");
    expect(screen.getByTestId("message-deliveries-m-1").textContent).toBe("1 pending");
  });

  it("waits for a request's reply and shows it; a refusal is shown as the engine says it", async () => {
    const fake = new FakeBus();
    let refuse = false;
    backend(
      invoke,
      fake.answers({
        request_message: ({ message: sent, waitMs }) => {
          if (refuse) throw { code: "conflict", message: `no reply from AG-001 within ${waitMs} ms to request m-2` };
          const request = message("m-2", { ...sent, senderId: "hub" });
          const reply = message("m-3", {
            senderId: "AG-001",
            recipientId: "hub",
            pattern: "request_response",
            messageType: "health_check",
            payload: { status: "ok", agentId: "AG-001" },
            correlationId: "m-2",
          });
          fake.messages.unshift({ message: request, deliveries: [delivery(request, "AG-001", { status: "replied" })], replies: [reply] });
          return reply;
        },
      }),
    );
    render(<Messages />);
    select("message-pattern", "request_response");
    await waitFor(() => expect(screen.getByTestId("message-recipient").querySelectorAll("option").length).toBe(3));
    select("message-recipient", "AG-001");
    select("message-type", "health_check");
    fireEvent.change(screen.getByTestId("message-wait"), { target: { value: "5" } });
    fireEvent.click(screen.getByTestId("message-send"));

    await waitFor(() => expect(screen.getByTestId("message-reply").textContent).toContain('"agentId": "AG-001"'));
    expect(callsOf(invoke, "request_message")[0]!.waitMs).toBe(5000);
    // The request opens, with the agent's reply under it.
    await waitFor(() => expect(screen.getByTestId("message-reply-AG-001")).toBeTruthy());
    expect(screen.getByTestId("delivery-status-AG-001").textContent).toBe("replied");

    refuse = true;
    fireEvent.click(screen.getByTestId("message-send"));
    await waitFor(() =>
      expect(screen.getByTestId("message-refusal").textContent).toBe("no reply from AG-001 within 5000 ms to request m-2"),
    );
  });

  it("asks for a topic to publish to and nothing for a broadcast", async () => {
    backend(invoke, new FakeBus().answers({ send_message: ({ message: m }) => message("m-9", { ...m, senderId: "hub" }) }));
    render(<Messages />);
    select("message-pattern", "publish_subscribe");
    expect(screen.queryByTestId("message-recipient")).toBeNull();
    expect((screen.getByTestId("message-send") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("message-topic"), { target: { value: "all" } });
    fireEvent.click(screen.getByTestId("message-send"));
    await waitFor(() => expect(callsOf(invoke, "send_message")).toHaveLength(1));
    expect(callsOf(invoke, "send_message")[0]!.message).toMatchObject({ pattern: "publish_subscribe", topic: "all", recipientId: null });

    select("message-pattern", "broadcast");
    expect(screen.queryByTestId("message-topic")).toBeNull();
    expect((screen.getByTestId("message-send") as HTMLButtonElement).disabled).toBe(false);
  });
});

describe("Messages: follow and re-queue", () => {
  it("reloads on message-changed, filters dead letters and re-queues them", async () => {
    const fake = new FakeBus();
    const ok = message("m-ok");
    const lost = message("m-lost", { messageType: "task_request" });
    fake.messages = [{ message: ok, deliveries: [delivery(ok, "AG-005")], replies: [] }];
    backend(
      invoke,
      fake.answers({
        requeue_message: ({ messageId }) => {
          const found = fake.messages.find((i) => i.message.id === messageId)!;
          found.deliveries = found.deliveries.map((d) => ({ ...d, status: "pending", attempts: 0, error: null, finishedMs: null }));
          return found;
        },
      }),
    );
    render(<Messages />);
    await waitFor(() => expect(screen.getByTestId("messages-count").textContent).toBe("1 message"));
    expect(screen.getByTestId("topic-all").textContent).toContain("2");

    // The bus reports a dead letter: the list follows.
    fake.messages.unshift({
      message: lost,
      deliveries: [delivery(lost, "AG-005", { status: "dead", attempts: 5, error: "agent AG-005 is not deployed" })],
      replies: [],
    });
    const change: MessageEvent = {
      messageId: "m-lost",
      change: "dead",
      senderId: "hub",
      messageType: "task_request",
      priority: "normal",
      recipient: "AG-005",
      attempts: 5,
      error: "agent AG-005 is not deployed",
    };
    act(() => bus.emit("message-changed", change));
    await waitFor(() => expect(screen.getByTestId("messages-count").textContent).toBe("2 messages"));
    expect(screen.getByTestId("message-deliveries-m-lost").textContent).toBe("1 dead");

    select("messages-filter-status", "dead");
    await waitFor(() => expect(screen.getByTestId("messages-count").textContent).toBe("1 message"));
    expect(callsOf(invoke, "list_messages").at(-1)!.query).toMatchObject({ status: "dead" });

    fireEvent.click(screen.getByTestId("message-row-m-lost"));
    const detail = await screen.findByTestId("message-detail");
    expect(within(detail).getByTestId("delivery-AG-005").textContent).toContain("agent AG-005 is not deployed");
    fireEvent.click(within(detail).getByTestId("message-requeue"));
    await waitFor(() => expect(screen.getByTestId("delivery-status-AG-005").textContent).toBe("pending"));
    expect(screen.queryByTestId("message-requeue")).toBeNull();
    expect(callsOf(invoke, "requeue_message")).toEqual([{ messageId: "m-lost" }]);
  });

  it("shows why the list cannot be read", async () => {
    backend(invoke, {
      list_agents: AGENTS,
      list_topics: [],
      list_messages: () => {
        throw { code: "engine_unavailable", message: "the engine is not running: Docker is missing" };
      },
    });
    render(<Messages />);
    await waitFor(() =>
      expect(screen.getByTestId("messages-error").textContent).toBe("the engine is not running: Docker is missing"),
    );
  });
});
