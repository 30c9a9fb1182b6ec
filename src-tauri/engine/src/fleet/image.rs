//! The agent image, made on this machine from the runtime binary: no
//! registry, no base image, no builder. A docker-save tarball (one layer with
//! `/agent`, a config that carries user, entrypoint, healthcheck and labels)
//! is loaded with `POST /images/load`. Every byte is derived from the binary
//! and the version, so the same binary always gives the same image id.

use std::path::Path;

use bollard::query_parameters::ImportImageOptionsBuilder;
use bollard::Docker;
use futures::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The repository the agent image is tagged in.
pub const REPOSITORY: &str = "sutazai-agent";
/// Labels every image and container of the app carries.
pub const LABEL_APP: &str = "ai.sutazai.app";
pub const LABEL_RUNTIME_VERSION: &str = "ai.sutazai.runtime.version";
pub const LABEL_RUNTIME_SHA256: &str = "ai.sutazai.runtime.sha256";
/// The non-root user the agent runs as.
pub const AGENT_USER: &str = "10001:10001";

/// Docker's own healthcheck, kept cheap: each check starts a process in the
/// container, so it runs rarely; the engine polls `/health` for readiness.
const HEALTH_INTERVAL_NS: u64 = 60_000_000_000;
const HEALTH_TIMEOUT_NS: u64 = 5_000_000_000;
const HEALTH_START_NS: u64 = 10_000_000_000;

/// A loaded agent image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentImage {
    /// `sha256:…`, as Docker reports it.
    pub id: String,
    /// `sutazai-agent:<version>`.
    pub tag: String,
    pub runtime_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read the agent runtime {path}: {source}")]
    Binary { path: String, source: std::io::Error },
    #[error("cannot pack the agent image: {0}")]
    Pack(std::io::Error),
    #[error("Docker refused the agent image: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error("Docker refused the agent image: {0}")]
    Load(String),
    #[error("Docker loaded the agent image as {found}, expected {expected}")]
    Mismatch { expected: String, found: String },
}

/// The docker-save tarball for `binary`, and the image id it will get.
pub fn pack(binary: &[u8], version: &str) -> std::io::Result<(Vec<u8>, String)> {
    let layer = layer_tar(binary)?;
    let layer_sha = hex::encode(Sha256::digest(&layer));
    let runtime_sha = hex::encode(Sha256::digest(binary));
    let epoch = "1970-01-01T00:00:00Z";
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": epoch,
        "config": {
            "User": AGENT_USER,
            "Entrypoint": ["/agent"],
            "Cmd": ["serve"],
            "Env": ["PATH=/"],
            "WorkingDir": "/",
            "StopSignal": "SIGTERM",
            "Labels": {
                LABEL_APP: "sutazai-control-center",
                LABEL_RUNTIME_VERSION: version,
                LABEL_RUNTIME_SHA256: runtime_sha,
            },
            "Healthcheck": {
                "Test": ["CMD", "/agent", "healthcheck"],
                "Interval": HEALTH_INTERVAL_NS,
                "Timeout": HEALTH_TIMEOUT_NS,
                "StartPeriod": HEALTH_START_NS,
                "Retries": 3,
            },
        },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{layer_sha}")] },
        "history": [{ "created": epoch, "created_by": format!("sutazai image builder: sutazai-agent {version}") }],
    });
    let config = serde_json::to_vec(&config).map_err(std::io::Error::other)?;
    let config_sha = hex::encode(Sha256::digest(&config));
    let manifest = json!([{
        "Config": format!("{config_sha}.json"),
        "RepoTags": [format!("{REPOSITORY}:{version}")],
        "Layers": [format!("{layer_sha}/layer.tar")],
    }]);
    let manifest = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;

    let mut outer = tar::Builder::new(Vec::new());
    append(&mut outer, &format!("{config_sha}.json"), &config, 0o644)?;
    append_dir(&mut outer, &format!("{layer_sha}/"))?;
    append(&mut outer, &format!("{layer_sha}/layer.tar"), &layer, 0o644)?;
    append(&mut outer, "manifest.json", &manifest, 0o644)?;
    Ok((outer.into_inner()?, format!("sha256:{config_sha}")))
}

/// Loads the image for the runtime at `binary` unless Docker already has it.
pub async fn ensure(docker: &Docker, binary: &Path, version: &str) -> Result<AgentImage, ImageError> {
    let bytes = tokio::fs::read(binary).await.map_err(|source| ImageError::Binary {
        path: binary.display().to_string(),
        source,
    })?;
    let runtime_sha256 = hex::encode(Sha256::digest(&bytes));
    let (tarball, id) = pack(&bytes, version).map_err(ImageError::Pack)?;
    let tag = format!("{REPOSITORY}:{version}");
    let present = docker.inspect_image(&tag).await.ok().and_then(|i| i.id);
    if present.as_deref() != Some(id.as_str()) {
        let options = ImportImageOptionsBuilder::default().quiet(true).build();
        let mut progress = docker.import_image(options, bollard::body_full(tarball.into()), None);
        while let Some(item) = progress.next().await {
            let info = item?;
            if let Some(detail) = info.error_detail {
                return Err(ImageError::Load(detail.message.unwrap_or_default()));
            }
        }
        let found = docker.inspect_image(&tag).await?.id.unwrap_or_default();
        if found != id {
            return Err(ImageError::Mismatch { expected: id, found });
        }
    }
    Ok(AgentImage {
        id,
        tag,
        runtime_sha256,
    })
}

fn layer_tar(binary: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut layer = tar::Builder::new(Vec::new());
    append_dir(&mut layer, "etc/")?;
    // An empty /etc/hosts and resolv.conf give Docker files to mount over.
    append(&mut layer, "etc/hosts", b"", 0o644)?;
    append(&mut layer, "etc/resolv.conf", b"", 0o644)?;
    append(&mut layer, "agent", binary, 0o755)?;
    layer.into_inner()
}

fn header(kind: tar::EntryType, size: usize, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_size(size as u64);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn append(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) -> std::io::Result<()> {
    let mut h = header(tar::EntryType::Regular, data.len(), mode);
    builder.append_data(&mut h, path, data)
}

fn append_dir(builder: &mut tar::Builder<Vec<u8>>, path: &str) -> std::io::Result<()> {
    let mut h = header(tar::EntryType::Directory, 0, 0o755);
    builder.append_data(&mut h, path, std::io::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_binary_packs_to_the_same_bytes_and_id() {
        let (a, id_a) = pack(b"\x7fELF fake binary", "0.1.0").unwrap();
        let (b, id_b) = pack(b"\x7fELF fake binary", "0.1.0").unwrap();
        assert_eq!(a, b);
        assert_eq!(id_a, id_b);
        let (_, other) = pack(b"\x7fELF another binary", "0.1.0").unwrap();
        assert_ne!(id_a, other, "a different binary is a different image");
    }

    #[test]
    fn the_tarball_has_docker_saves_layout() {
        let (tarball, id) = pack(b"bin", "1.2.3").unwrap();
        let mut archive = tar::Archive::new(tarball.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        let config = format!("{}.json", id.trim_start_matches("sha256:"));
        assert!(names.contains(&config), "{names:?}");
        assert!(names.contains(&"manifest.json".to_string()));
        assert!(names.iter().any(|n| n.ends_with("/layer.tar")));
    }
}
