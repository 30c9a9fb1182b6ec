//! Reconcile at start: the app adopts the agent containers that already run
//! (Docker is the registry), replaces the running ones made from an older
//! manifest or runtime, and reports strays it will not touch.

use serde::Serialize;
use tracing::{info, instrument, warn};
use ts_rs::TS;

use super::model::{FleetEvent, Stray};
use super::{image, Fleet, FleetError};
use crate::catalog::Catalog;

/// What reconciling found and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    /// Running agent containers kept as they are.
    pub adopted: Vec<String>,
    /// Containers replaced, with why.
    pub replaced: Vec<(String, String)>,
    /// Containers that could not be replaced, with why.
    pub failed: Vec<(String, String)>,
    pub strays: Vec<Stray>,
}

impl Fleet {
    /// See the module's comment. Stopped containers are left alone: the
    /// user stopped them, and a deploy or start replaces them when stale.
    #[instrument(skip_all, err)]
    pub async fn reconcile(&self, catalog: &Catalog) -> Result<ReconcileReport, FleetError> {
        let docker = self.docker().await?;
        let containers = self.containers(&docker).await?;
        let mut report = ReconcileReport {
            strays: containers.strays(catalog),
            ..ReconcileReport::default()
        };
        for stray in &report.strays {
            warn!(container = %stray.container, state = %stray.state, reason = %stray.reason, "stray container left alone");
        }
        let running: Vec<_> = containers
            .all()
            .filter(|p| p.running() && catalog.get(&p.agent_id).is_some())
            .collect();
        if running.is_empty() {
            return Ok(report);
        }
        let image = match image::ensure(&docker, &self.config.agent_binary, &self.config.runtime_version).await {
            Ok(image) => Some(image),
            Err(err) => {
                warn!(cause = %err, "cannot make the agent image; only manifest changes are reconciled");
                None
            }
        };
        for p in running {
            let Some(entry) = catalog.get(&p.agent_id) else {
                continue;
            };
            let why = if p.manifest_hash() != Some(entry.hash.as_str()) {
                Some(format!("its manifest {} changed", entry.file.display()))
            } else {
                image
                    .as_ref()
                    .filter(|image| p.summary.image_id.as_deref() != Some(image.id.as_str()))
                    .map(|image| format!("the agent runtime changed ({})", image.tag))
            };
            let (Some(why), Some(image)) = (why.clone(), image.as_ref()) else {
                if let Some(why) = why {
                    report
                        .failed
                        .push((p.name.clone(), format!("{why}, but no image to replace it")));
                } else {
                    let in_force = p
                        .token_epoch()
                        .is_some_and(|epoch| self.config.credentials.epochs.is_current(&p.name, epoch));
                    if !in_force {
                        // Not replaced here: another engine (another data
                        // dir) may run it. A deploy replaces it.
                        warn!(
                            container = %p.name,
                            "adopted an agent whose service tokens are not in force here (made with another data dir?): \
                             its calls to the hub get 401 until it is deployed again"
                        );
                    }
                    report.adopted.push(p.name.clone());
                }
                continue;
            };
            let quiet = |_: &str, _, _| {};
            // `None`: replace it whatever it answers.
            self.want(&p.name, None);
            self.remove(&docker, &p.name).await;
            match self.deploy_one(&docker, entry, image, None, p.instance, &quiet).await {
                Ok(_) => {
                    info!(container = %p.name, reason = %why, "replaced a stale agent container");
                    self.want(&p.name, Some(true));
                    self.emit(FleetEvent::Replaced {
                        agent_id: p.agent_id.clone(),
                        container: p.name.clone(),
                        reason: why.clone(),
                    });
                    report.replaced.push((p.name.clone(), why));
                }
                Err(reason) => {
                    warn!(container = %p.name, %reason, "cannot replace a stale agent container");
                    self.emit(FleetEvent::Deployed {
                        agent_id: p.agent_id.clone(),
                        container: p.name.clone(),
                        stage: super::model::DeployStage::Failed,
                        reason: Some(format!("replacing it because {why}: {reason}")),
                    });
                    report.failed.push((p.name.clone(), reason));
                }
            }
        }
        info!(
            adopted = report.adopted.len(),
            replaced = report.replaced.len(),
            failed = report.failed.len(),
            strays = report.strays.len(),
            "fleet reconciled"
        );
        Ok(report)
    }
}
