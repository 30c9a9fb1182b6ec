//! Test support shared by the cross-part tests: a fake Ollama (Ollama cannot
//! be installed on our machines) and a private Docker engine that a test may
//! stop. Nothing here is part of the product.

pub mod agent;
pub mod bench;
pub mod caller;
pub mod docker;
pub mod dockerd;
pub mod engine;
pub mod fake_ollama;
pub mod headless;
pub mod hub;

/// This crate's folder, as cargo says when it runs a test or benchmark (a
/// binary built in another clone that shares the target dir keeps that
/// clone's compile-time path, which may be gone).
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
        .into()
}

/// Waits until `check` holds, asking every 250 ms; fails the test naming
/// `what` when it does not within `limit`.
pub async fn until(what: &str, limit: std::time::Duration, mut check: impl AsyncFnMut() -> bool) {
    let began = std::time::Instant::now();
    while !check().await {
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
