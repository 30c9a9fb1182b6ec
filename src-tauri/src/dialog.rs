//! The native open and save dialogs (workflow import and export, chart
//! export), shown from Rust: the webview never names a path (it has no
//! dialog or fs permission), so it can read or write only a file the
//! person chose.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tokio::sync::oneshot;

/// What a dialog is for: its title and the files it offers.
pub struct FileKind {
    pub title: &'static str,
    pub filter: &'static str,
    pub extensions: &'static [&'static str],
}

pub const WORKFLOW_IMPORT: FileKind = FileKind {
    title: "Import a workflow",
    filter: "Workflow definition (JSON)",
    extensions: &["json"],
};

pub const WORKFLOW_EXPORT: FileKind = FileKind {
    title: "Export the workflow",
    ..WORKFLOW_IMPORT
};

pub const CHART_EXPORT: FileKind = FileKind {
    title: "Export the chart",
    filter: "PNG image",
    extensions: &["png"],
};

/// The dialog with the app's window as its parent and the kind's filter.
fn dialog<R: Runtime>(app: &AppHandle<R>, kind: &FileKind) -> FileDialogBuilder<R> {
    let mut dialog = app
        .dialog()
        .file()
        .set_title(kind.title)
        .add_filter(kind.filter, kind.extensions);
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    dialog
}

fn local(path: Option<FilePath>) -> Option<PathBuf> {
    path.and_then(|p| p.into_path().ok())
}

/// The file the person chose to open; none when they cancelled.
pub async fn choose_open<R: Runtime>(app: &AppHandle<R>, kind: &FileKind) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    dialog(app, kind).pick_file(move |path| drop(tx.send(local(path))));
    rx.await.ok().flatten()
}

/// Where the person chose to save (proposing `file_name`); none when they
/// cancelled.
pub async fn choose_save<R: Runtime>(app: &AppHandle<R>, kind: &FileKind, file_name: &str) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    dialog(app, kind)
        .set_file_name(file_name)
        .save_file(move |path| drop(tx.send(local(path))));
    rx.await.ok().flatten()
}
