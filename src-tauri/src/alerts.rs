//! The desktop side of alerts: each notification the engine plans is shown
//! through tauri-plugin-notification and told to the window (its toast and
//! bell); clicking it opens the Security view on its alerts, and its
//! "Silence 1 h" action silences them, where the notification server
//! reports actions. Each alert that fires or resolves is told to the
//! window; the tray icon says how many alerts are open and opens the window
//! or its Security view. Nothing here depends on a notification daemon or a tray host: the
//! engine has kept every alert and notification before they get here.

use std::sync::Arc;

use sutazai_engine::alerts::model::{AlertEvent, AlertQuery};
use sutazai_engine::security::Principal;
use sutazai_engine::{AlertNews, Engine};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::{Action, ActionPerformed, ActionType, NotificationExt};
use tokio::sync::broadcast::error::RecvError;

use crate::events::{OpenView, ALERT_CHANGED, ALERT_NOTICE, OPEN_VIEW};

/// The tray icon and its menu item that shows the count.
pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    security: MenuItem<R>,
}

/// The notifications' action type, with its one action.
const ALERT_ACTIONS: &str = "alert";
const SILENCE: &str = "silence";
/// How long the notification's action silences its alerts.
const SILENCE_MINUTES: u32 = 60;

/// Brings the window to the front, on `view` (with `alerts` selected)
/// when one is named.
fn show_window<R: Runtime>(app: &AppHandle<R>, view: Option<&str>, alerts: Vec<String>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    if let Some(view) = view {
        OPEN_VIEW.emit(
            app,
            OpenView {
                view: view.to_string(),
                alerts,
            },
        );
    }
}

/// The alerts a notification told of, from what it carried.
fn fingerprints_of(performed: &ActionPerformed) -> Vec<String> {
    performed
        .notification()
        .and_then(|n| n.extra().get("fingerprints").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Answers the notifications' clicks and actions: a click opens the
/// Security view on the notice's alerts, "Silence 1 h" silences them.
pub fn answer_notifications<R: Runtime>(app: &AppHandle<R>, engine: Arc<Engine>) {
    let notifications = app.notification();
    let silence = Action::builder(SILENCE, "Silence 1 h").build();
    let registered =
        notifications.register_action_types(vec![ActionType::builder(ALERT_ACTIONS).actions(vec![silence]).build()]);
    let handle = app.clone();
    let answered = notifications.on_action(move |performed| {
        let alerts = fingerprints_of(performed);
        if performed.action_id() == SILENCE {
            let engine = Arc::clone(&engine);
            tauri::async_runtime::spawn(async move {
                for fingerprint in alerts {
                    if let Err(err) = engine
                        .silence_alert(&fingerprint, SILENCE_MINUTES, &Principal::Desktop)
                        .await
                    {
                        tracing::warn!(cause = %err, fingerprint, "cannot silence from the notification");
                    }
                }
            });
        } else {
            show_window(&handle, Some("security"), alerts);
        }
    });
    if let Err(err) = registered.and(answered) {
        tracing::warn!(cause = %err, "notifications cannot be answered; the window's toasts can");
    }
}

/// The tray icon with its menu: open the window, open Security (with the
/// count of open alerts), quit. None where the desktop has no tray
/// library (libayatana-appindicator3 on Linux): the window's bell counts
/// the same alerts.
pub fn tray<R: Runtime>(app: &AppHandle<R>) -> Option<Tray<R>> {
    let build = || -> tauri::Result<Tray<R>> {
        let open = MenuItem::with_id(app, "open", "Open SutazAI Control Center", true, None::<&str>)?;
        let security = MenuItem::with_id(app, "security", "Security: no open alerts", true, None::<&str>)?;
        let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
        let menu = Menu::with_items(app, &[&open, &security, &quit])?;
        let mut builder = TrayIconBuilder::with_id("main")
            .menu(&menu)
            .tooltip("SutazAI Control Center: no open alerts")
            .on_menu_event(|app, event| match event.id.as_ref() {
                "open" => show_window(app, None, Vec::new()),
                "security" => show_window(app, Some("security"), Vec::new()),
                "quit" => app.exit(0),
                _ => {}
            });
        if let Some(icon) = app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        Ok(Tray {
            icon: builder.build(app)?,
            security,
        })
    };
    // The Linux tray loads its library when first used and panics when it
    // is missing: a missing tray is a warning, never a crash.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)) {
        Ok(Ok(tray)) => Some(tray),
        Ok(Err(err)) => {
            tracing::warn!(cause = %err, "no tray icon; the window's bell counts the alerts");
            None
        }
        Err(_) => {
            tracing::warn!("no tray icon (libayatana-appindicator3 is missing); the window's bell counts the alerts");
            None
        }
    }
}

/// The words for `open` open alerts.
fn count_text(open: usize) -> String {
    match open {
        0 => "no open alerts".to_string(),
        1 => "1 open alert".to_string(),
        n => format!("{n} open alerts"),
    }
}

impl<R: Runtime> Tray<R> {
    fn show_count(&self, open: usize) {
        let text = count_text(open);
        let _ = self.security.set_text(format!("Security: {text}"));
        let _ = self.icon.set_tooltip(Some(format!("SutazAI Control Center: {text}")));
        let _ = self.icon.set_title((open > 0).then(|| open.to_string()));
    }
}

/// How many alerts are open now.
async fn open_alerts(engine: &Engine) -> usize {
    engine.alerts(AlertQuery::open(1000)).await.map_or(0, |a| a.len())
}

/// Shows each planned notification on the desktop and tells the window of
/// it and of every alert that fires or resolves, keeping the tray's count.
pub fn forward_alerts<R: Runtime>(app: AppHandle<R>, engine: Arc<Engine>, tray: Option<Tray<R>>) {
    let mut news = engine.subscribe_alerts();
    tauri::async_runtime::spawn(async move {
        if let Some(tray) = &tray {
            tray.show_count(open_alerts(&engine).await);
        }
        loop {
            match news.recv().await {
                Ok(AlertNews::Changed(change)) => {
                    if let Some(event) = AlertEvent::of(&change) {
                        ALERT_CHANGED.emit(&app, event);
                        if let Some(tray) = &tray {
                            tray.show_count(open_alerts(&engine).await);
                        }
                    }
                }
                Ok(AlertNews::Notify(notice)) => {
                    let shown = app
                        .notification()
                        .builder()
                        .title(&notice.title)
                        .body(if notice.body.is_empty() {
                            "Open the Security view"
                        } else {
                            &notice.body
                        })
                        .action_type_id(ALERT_ACTIONS)
                        .extra("fingerprints", &notice.fingerprints)
                        .show();
                    if let Err(err) = shown {
                        // No daemon: the window's toast and the record still tell.
                        tracing::warn!(cause = %err, title = %notice.title, "cannot show a desktop notification");
                    }
                    ALERT_NOTICE.emit(&app, notice);
                }
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "alert news dropped"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::count_text;

    #[test]
    fn the_count_reads_as_words() {
        assert_eq!(count_text(0), "no open alerts");
        assert_eq!(count_text(1), "1 open alert");
        assert_eq!(count_text(20), "20 open alerts");
    }
}
