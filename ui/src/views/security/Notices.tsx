// The notifications the app sent (desktop notices), newest first.
import { when } from "../../components/time";
import { useAlertsStore } from "../../stores/alerts";

export function Notices() {
  const notices = useAlertsStore((s) => s.notices);
  const error = useAlertsStore((s) => s.noticesError);
  return (
    <section className="card notices" data-testid="notices" aria-label="Notifications sent">
      <header className="card-header">
        <h2>Notifications sent</h2>
      </header>
      {error && (
        <p className="problem" role="alert" data-testid="notices-error">
          {error.message}
        </p>
      )}
      {notices && notices.length === 0 && (
        <p className="muted" data-testid="notices-none">
          No notification sent yet.
        </p>
      )}
      {notices && notices.length > 0 && (
        <table className="table table-compact">
          <thead>
            <tr>
              <th>Sent</th>
              <th>Title</th>
              <th>Body</th>
            </tr>
          </thead>
          <tbody>
            {notices.map((n) => (
              <tr key={n.id} data-testid={`notice-row-${n.id}`} className={`notice-${n.severity}`}>
                <td className="nowrap">{when(n.atMs)}</td>
                <td>{n.title}</td>
                <td className="notice-body">{n.body}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
