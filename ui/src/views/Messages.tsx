// Messages: the hub's message bus. Send a message (point-to-point,
// request-response, broadcast or to a topic), follow every message live
// with how its deliveries stand, open one to see each recipient's attempts,
// errors and replies, re-queue dead letters, and see who is subscribed to
// which topic.
import { useEffect } from "react";
import { useNow } from "../components/time";
import { useAgentsStore } from "../stores/agents";
import { useMessagesStore } from "../stores/messages";
import { MessageDetail } from "./messages/MessageDetail";
import { MessageFilters, MessageTable } from "./messages/MessageList";
import { SendForm } from "./messages/SendForm";
import "./Tasks.css";
import "./Messages.css";

/** How often the topics are read again (agents subscribe as they start). */
const TOPICS_EVERY_MS = 5000;

function Topics() {
  const topics = useMessagesStore((s) => s.topics);
  const error = useMessagesStore((s) => s.topicsError);
  return (
    <section className="card message-topics" aria-label="Topics" data-testid="message-topics">
      <header className="card-header">
        <h2>Topics</h2>
        <span className="muted small">agents subscribe to their capabilities and “all” as they start</span>
      </header>
      {error && (
        <p className="problem" role="alert">
          {error.message}
        </p>
      )}
      {topics && topics.length === 0 && <p className="muted">No subscription yet: deploy agents and they subscribe.</p>}
      {topics && topics.length > 0 && (
        <ul className="topic-list">
          {topics.map((t) => (
            <li key={t.name} data-testid={`topic-${t.name}`} title={t.subscribers.join(", ")}>
              <code>{t.name}</code> <span className="muted small">{t.subscribers.length}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Messages() {
  const agents = useAgentsStore((s) => s.rows);
  const loadAgents = useAgentsStore((s) => s.load);
  const followAgents = useAgentsStore((s) => s.follow);
  const page = useMessagesStore((s) => s.page);
  const error = useMessagesStore((s) => s.error);
  const filter = useMessagesStore((s) => s.filter);
  const setFilter = useMessagesStore((s) => s.setFilter);
  const load = useMessagesStore((s) => s.load);
  const loadTopics = useMessagesStore((s) => s.loadTopics);
  const topics = useMessagesStore((s) => s.topics);
  const follow = useMessagesStore((s) => s.follow);
  const selected = useMessagesStore((s) => s.selected);
  const detail = useMessagesStore((s) => s.detail);
  const detailError = useMessagesStore((s) => s.detailError);
  const actionError = useMessagesStore((s) => s.actionError);
  const select = useMessagesStore((s) => s.select);
  const requeue = useMessagesStore((s) => s.requeue);
  const now = useNow(1000);

  useEffect(() => {
    void loadAgents();
    return followAgents();
  }, [loadAgents, followAgents]);
  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);
  useEffect(() => {
    void loadTopics();
    const timer = window.setInterval(() => void loadTopics(), TOPICS_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [loadTopics]);

  const open = selected !== null;
  return (
    <div className={open ? "tasks messages with-detail" : "tasks messages"}>
      <div className="messages-top">
        <SendForm agents={agents ?? []} topics={topics ?? []} />
        <Topics />
      </div>
      <MessageFilters
        filter={filter}
        agents={agents ?? []}
        shown={page?.messages.length ?? 0}
        total={page?.total ?? 0}
        onChange={setFilter}
      />
      {error && (
        <p className="problem" role="alert" data-testid="messages-error">
          {error.message}
        </p>
      )}
      <div className="tasks-layout">
        <div className="table-scroll card">
          {page ? (
            <MessageTable messages={page.messages} selected={selected} now={now} onOpen={select} />
          ) : (
            !error && <p className="muted">Loading the messages…</p>
          )}
        </div>
        {open && detailError && (
          <p className="problem" role="alert" data-testid="message-detail-error">
            {detailError.message}
          </p>
        )}
        {open && detail && (
          <MessageDetail
            detail={detail}
            now={now}
            actionError={actionError}
            onRequeue={() => void requeue(detail.message.id)}
            onOpen={select}
            onClose={() => select(null)}
          />
        )}
      </div>
    </div>
  );
}
