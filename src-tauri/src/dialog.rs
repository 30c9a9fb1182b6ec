//! The native open and save dialogs of workflow import and export, shown
//! from Rust: the webview never names a path (it has no dialog or fs
//! permission), so it can read or write only a file the person chose.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tokio::sync::oneshot;

/// The dialog with the app's window as its parent and a JSON filter.
fn dialog<R: Runtime>(app: &AppHandle<R>, title: &str) -> FileDialogBuilder<R> {
    let mut dialog = app
        .dialog()
        .file()
        .set_title(title)
        .add_filter("Workflow definition (JSON)", &["json"]);
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    dialog
}

fn local(path: Option<FilePath>) -> Option<PathBuf> {
    path.and_then(|p| p.into_path().ok())
}

/// The file the person chose to import; none when they cancelled.
pub async fn choose_import<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    dialog(app, "Import a workflow").pick_file(move |path| drop(tx.send(local(path))));
    rx.await.ok().flatten()
}

/// Where the person chose to export to (proposing `file_name`); none when
/// they cancelled.
pub async fn choose_export<R: Runtime>(app: &AppHandle<R>, file_name: &str) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    dialog(app, "Export the workflow")
        .set_file_name(file_name)
        .save_file(move |path| drop(tx.send(local(path))));
    rx.await.ok().flatten()
}
