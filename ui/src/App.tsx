import { useEffect } from "react";
import { AlertBell } from "./components/AlertBell";
import { StartupErrorDialog } from "./components/StartupErrorDialog";
import { Toasts } from "./components/Toasts";
import { showAlerts } from "./stores/alerts";
import { useDeployStore } from "./stores/deploy";
import { useNavStore } from "./stores/nav";
import { useStatusStore } from "./stores/status";
import { VIEWS } from "./views/registry";

export function App() {
  const current = useNavStore((s) => s.view);
  const open = useNavStore((s) => s.open);
  const followNav = useNavStore((s) => s.follow);
  const load = useStatusStore((s) => s.load);
  const follow = useStatusStore((s) => s.follow);
  const error = useStatusStore((s) => s.error);
  const followDeploys = useDeployStore((s) => s.follow);

  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);
  // Deploy progress is followed for the app's lifetime, so it survives
  // switching away from the Deploy view.
  useEffect(() => followDeploys(), [followDeploys]);
  // The tray menu asks for a view with `open-view`.
  // A desktop notification's click opens Security on its alerts.
  useEffect(() => followNav(showAlerts), [followNav]);

  const view = VIEWS.find((v) => v.id === current) ?? VIEWS[0]!;
  const Component = view.component;
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">
          <img src="/icon.svg" alt="" width={28} height={28} />
          <span>SutazAI</span>
        </div>
        <AlertBell />
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <button
                type="button"
                className={v.id === current ? "nav-item active" : "nav-item"}
                aria-current={v.id === current ? "page" : undefined}
                data-testid={`nav-${v.id}`}
                onClick={() => open(v.id)}
              >
                {v.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        <header className="page-header">
          <h1 data-testid="view-title">{view.label}</h1>
          <p className="muted">{view.purpose}</p>
        </header>
        <Component />
      </main>
      <Toasts />
      {error && <StartupErrorDialog error={error} />}
    </div>
  );
}
