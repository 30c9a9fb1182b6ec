//! The CLI of `sutazai-headless`, the built binary, as a client of a real
//! headless engine started here on a data dir of its own with the fake
//! Ollama: JSON answers that parse, filters, exit codes (3 with nothing
//! listening, 4 for a refused key, the CLI's own key revoked and named),
//! completions and help; and, under the Docker lock
//! (`flock /tmp/sutazai-docker.lock`), a task through a deployed phase,
//! a deploy with its summary, and logs read and followed.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use sutazai_tests::agent::free_port;
use sutazai_tests::docker::{bridge_gateway, PhaseGuard};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};
use sutazai_tests::headless::{binary, stop, Headless};
use tempfile::TempDir;

/// A headless engine serving a temporary data dir; stopped when dropped.
struct Hub {
    hub: Headless,
    child: Child,
    _ollama: FakeOllama,
    _dir: TempDir,
}

impl Drop for Hub {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// An engine with no Docker (`docker_endpoint` points nowhere), for what
/// needs no container.
async fn hub_without_docker() -> Hub {
    let ollama = FakeOllama::start(vec![FakeModel::new("qwen2.5-coder:1.5b")])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hub = Headless::new(dir.path(), free_port(), &ollama.url());
    std::fs::write(&hub.config_file, "docker_endpoint = \"unix:///nonexistent.sock\"\n").unwrap();
    let child = hub.start();
    Hub {
        hub,
        child,
        _ollama: ollama,
        _dir: dir,
    }
}

/// The CLI with the engine's config and data dir, no key given (so it
/// uses its own) and no URL (so it reads `api_listen`).
fn cli(hub: &Headless) -> Command {
    let mut command = Command::new(binary());
    command
        .env("SUTAZAI_CONFIG", &hub.config_file)
        .env("SUTAZAI_DATA_DIR", &hub.data_dir)
        .env("SUTAZAI_API_LISTEN", format!("127.0.0.1:{}", hub.port))
        .env_remove("SUTAZAI_URL")
        .env_remove("SUTAZAI_API_KEY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

fn run(hub: &Headless, args: &[&str]) -> Output {
    cli(hub).args(args).output().unwrap()
}

/// Runs the CLI, expects exit 0 and one JSON document on stdout.
fn json(hub: &Headless, args: &[&str]) -> Value {
    let out = run(hub, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|err| panic!("{args:?}: not JSON ({err}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn ids(agents: &Value) -> Vec<String> {
    agents
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_list_all_69_and_filter_by_phase_capability_and_status() {
    let hub = hub_without_docker().await;
    let all = json(&hub.hub, &["agents", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 69);

    let phase_2 = json(&hub.hub, &["agents", "--phase", "2", "--json"]);
    assert_eq!(phase_2.as_array().unwrap().len(), 25);
    assert!(phase_2.as_array().unwrap().iter().all(|a| a["phase"] == 2));

    let reviewers = json(
        &hub.hub,
        &["agents", "--capability", "code_review", "--phase", "2", "--json"],
    );
    assert_eq!(ids(&reviewers), ["AG-032", "AG-035", "AG-041"]);

    // Nothing is deployed: no agent is healthy.
    let healthy = json(&hub.hub, &["agents", "--status", "healthy", "--json"]);
    assert_eq!(healthy, Value::Array(vec![]));

    let one = json(&hub.hub, &["agent", "AG-017", "--json"]);
    assert_eq!(one["name"], "adversarial-attack-detector");

    // The human table: a header and one line per agent.
    let out = run(&hub.hub, &["agents", "--phase", "1"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("ID "), "{text}");
    assert_eq!(text.lines().count(), 21, "{text}");
    assert!(!text.contains('\u{1b}'), "no colour off a terminal: {text:?}");

    let missing = run(&hub.hub, &["agent", "AG-999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("AG-999"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_makes_its_own_private_admin_key_once_and_names_it_when_revoked() {
    let hub = hub_without_docker().await;
    json(&hub.hub, &["task", "list", "--json"]);
    let key_file = hub.hub.data_dir.join("cli.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = std::fs::read_to_string(&key_file).unwrap();

    // Used again, not made again.
    json(&hub.hub, &["workflows", "--json"]);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
    let listed = String::from_utf8(run(&hub.hub, &["key", "list"]).stdout).unwrap();
    let cli_keys: Vec<&str> = listed.lines().filter(|l| l.ends_with("\tcli")).collect();
    assert_eq!(cli_keys.len(), 1, "{listed}");
    assert!(cli_keys[0].contains("\tadmin\tlive\tcli\t"), "{listed}");

    // Revoked: 4, naming the file and how to fix it.
    let id = cli_keys[0].split('\t').next().unwrap();
    assert!(run(&hub.hub, &["key", "revoke", id]).status.success());
    // The engine trusts a key it checked for up to 2 s.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refused = run(&hub.hub, &["task", "list"]);
    assert_eq!(refused.status.code(), Some(4));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("was revoked") && said.contains("cli.key"), "{said}");

    // The fix works: a new key is made.
    std::fs::remove_file(&key_file).unwrap();
    json(&hub.hub, &["task", "list", "--json"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_key_exits_4_and_no_engine_exits_3() {
    let hub = hub_without_docker().await;
    let refused = run(&hub.hub, &["--key", "sk_00000000_nope", "agents"]);
    assert_eq!(refused.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unauthorized"));
    let refused = cli(&hub.hub)
        .env("SUTAZAI_API_KEY", "sk_00000000_nope")
        .args(["task", "list"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(4));

    let closed = format!("http://127.0.0.1:{}", free_port());
    let out = run(&hub.hub, &["--url", &closed, "agents"]);
    assert_eq!(out.status.code(), Some(3));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&closed) && said.contains("sutazai-headless serve"),
        "{said}"
    );

    // Nothing at api_listen either: the message says where that came from.
    let out = cli(&hub.hub)
        .env("SUTAZAI_API_LISTEN", format!("127.0.0.1:{}", free_port()))
        .arg("agents")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SUTAZAI_API_LISTEN"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_runs_workflows_and_alerts_answer_as_json() {
    let hub = hub_without_docker().await;
    let workflows = json(&hub.hub, &["workflows", "--json"]);
    assert!(workflows
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["workflow"]["id"] == "code_review"));
    let page = json(&hub.hub, &["task", "list", "--status", "queued", "--json"]);
    assert_eq!(page["total"], 0);
    assert_eq!(json(&hub.hub, &["run", "list", "--json"])["total"], 0);
    assert!(json(&hub.hub, &["alerts", "--open", "--json"]).is_array());

    // A task no agent can take stays queued; cancelled, it is shown so.
    let task = json(
        &hub.hub,
        &[
            "task",
            "submit",
            "--capability",
            "code_review",
            "--type",
            "echo",
            "--payload",
            r#"{"text":"hi"}"#,
            "--json",
        ],
    );
    assert_eq!(task["status"], "queued");
    let id = task["id"].as_str().unwrap();
    assert_eq!(json(&hub.hub, &["task", "show", id, "--json"])["payload"]["text"], "hi");
    assert_eq!(json(&hub.hub, &["task", "cancel", id, "--json"])["status"], "cancelled");

    let bad = run(&hub.hub, &["task", "submit", "--capability", "x", "--payload", "{nope"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--payload"));
}

/// The message bus without containers: a message to the hub is delivered
/// at once, a request nobody can answer ends naming the agent, a bad type
/// is refused naming the field, and re-queueing what is not dead is 1.
#[tokio::test(flavor = "multi_thread")]
async fn messages_are_sent_listed_shown_and_refused_as_json() {
    let hub = hub_without_docker().await;
    let sent = json(
        &hub.hub,
        &[
            "message",
            "send",
            "hub",
            "--type",
            "status_update",
            "--priority",
            "high",
            "--payload",
            r#"{"n":1}"#,
            "--json",
        ],
    );
    assert_eq!(sent["recipientId"], "hub", "{sent}");
    assert_eq!(sent["priority"], "high", "{sent}");
    let id = sent["id"].as_str().unwrap();
    let detail = json(&hub.hub, &["message", "show", id, "--json"]);
    assert_eq!(detail["deliveries"][0]["status"], "delivered", "{detail}");
    let page = json(
        &hub.hub,
        &["message", "list", "--agent", "hub", "--status", "delivered", "--json"],
    );
    assert_eq!(page["total"], 1, "{page}");
    let table = run(&hub.hub, &["message", "list"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("1 delivered"));
    assert_eq!(json(&hub.hub, &["topics", "--json"]), serde_json::json!([]));

    let again = run(&hub.hub, &["message", "requeue", id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no dead or expired delivery"));
    let bad = run(&hub.hub, &["message", "send", "AG-001", "--type", "gossip"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("message_type"));
    let silent = run(
        &hub.hub,
        &["message", "send", "AG-001", "--type", "health_check", "--wait", "1"],
    );
    assert_eq!(silent.status.code(), Some(1));
    let said = String::from_utf8_lossy(&silent.stderr);
    assert!(said.contains("AG-001") && said.contains("1000 ms"), "{said}");
}

/// Needs the fleet endpoints (`GET /v1/status`) of issue 23's fleet part.
#[tokio::test(flavor = "multi_thread")]
async fn status_answers_as_json() {
    let hub = hub_without_docker().await;
    let status = json(&hub.hub, &["status", "--json"]);
    assert_eq!(status["agentsTotal"], 69, "{status}");
}

#[test]
fn completions_and_every_group_s_help_print() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(binary()).args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("sutazai-headless") && script.contains("deploy"),
            "{shell}"
        );
    }
    for group in [
        &["--help"][..],
        &["task", "--help"],
        &["run", "--help"],
        &["models", "--help"],
        &["key", "--help"],
        &["deploy", "--help"],
        &["message", "--help"],
        &["logs", "--help"],
    ] {
        let out = Command::new(binary()).args(group).output().unwrap();
        assert!(out.status.success(), "{group:?}");
        assert!(String::from_utf8(out.stdout).unwrap().contains("Usage:"), "{group:?}");
    }
    let top = Command::new(binary()).arg("--help").output().unwrap();
    assert!(String::from_utf8(top.stdout).unwrap().contains("Exit codes:"));
    let usage = Command::new(binary()).args(["deploy", "5"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

/// The tests here that deploy phase 1 take turns (the Docker lock keeps
/// other test binaries out, not the tests of this one).
static PHASE_1: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An engine on the fake Ollama on Docker's bridge (agents reach it
/// through the hub's gateway), phase 1 removed when dropped.
async fn hub_with_docker() -> (Hub, PhaseGuard) {
    let ollama = FakeOllama::start_on(
        format!("{}:0", bridge_gateway()).as_str(),
        vec![FakeModel::new("qwen2.5-coder:1.5b")],
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fleet = PhaseGuard(1);
    let hub = Headless::new(dir.path(), free_port(), &ollama.url());
    (
        Hub {
            child: Command::new("true").spawn().unwrap(),
            hub,
            _ollama: ollama,
            _dir: dir,
        },
        fleet,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_submitted_with_wait_comes_back_succeeded() {
    let _turn = PHASE_1.lock().await;
    let (mut hub, _fleet) = hub_with_docker().await;
    // Deployed by an engine in this process; the headless one adopts it.
    let deployed = hub.hub.deploy(1).await;
    assert_eq!(deployed.healthy, 20, "{deployed:?}");
    hub.child = hub.hub.start();
    let task = json(
        &hub.hub,
        &[
            "task",
            "submit",
            "--capability",
            "code_review",
            "--type",
            "echo",
            "--payload",
            r#"{"text":"hi"}"#,
            "--wait",
            "10",
            "--json",
        ],
    );
    assert_eq!(task["status"], "succeeded", "{task}");
    assert!(task["assignedAgent"].as_str().unwrap().starts_with("AG-0"), "{task}");
}

/// Needs the fleet endpoints (deploy, logs) of issue 23's fleet part.
#[tokio::test(flavor = "multi_thread")]
async fn deploy_then_logs_read_and_followed() {
    let _turn = PHASE_1.lock().await;
    let (mut hub, _fleet) = hub_with_docker().await;
    // Agents reach Ollama through the hub's gateway: the hub runs first.
    hub.child = hub.hub.start();
    let summary = json(&hub.hub, &["deploy", "1", "--json"]);
    assert_eq!(summary["phase"], 1, "{summary}");
    assert_eq!(summary["healthy"], 20, "{summary}");
    let phases = json(&hub.hub, &["phases", "--json"]);
    assert_eq!(phases[0]["healthy"], 20, "{phases}");

    let out = run(&hub.hub, &["logs", "AG-001", "-n", "5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.is_empty() && text.lines().count() <= 5, "{text}");

    // Followed: the last lines come at once; killed after a second.
    let mut follow = cli(&hub.hub)
        .args(["logs", "AG-001", "-n", "5", "-f"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(follow.try_wait().unwrap().is_none(), "logs -f still follows");
    // Ctrl-C ends it cleanly.
    let pid = nix::unistd::Pid::from_raw(i32::try_from(follow.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    assert!(follow.wait().unwrap().success());
    let mut followed = String::new();
    follow.stdout.take().unwrap().read_to_string(&mut followed).unwrap();
    assert!(!followed.is_empty(), "logs -f printed the last lines");

    // The bus: AG-001's runtime answers a health check, and a broadcast
    // reaches all 20 once the loop has handed it over.
    let reply = json(
        &hub.hub,
        &[
            "message",
            "send",
            "AG-001",
            "--type",
            "health_check",
            "--wait",
            "10",
            "--json",
        ],
    );
    assert_eq!(reply["senderId"], "AG-001", "{reply}");
    assert_eq!(reply["payload"]["status"], "ok", "{reply}");
    let sent = json(
        &hub.hub,
        &[
            "message",
            "broadcast",
            "--type",
            "system_announcement",
            "--payload",
            r#"{"text":"hi"}"#,
            "--json",
        ],
    );
    let id = sent["id"].as_str().unwrap();
    let mut delivered = 0;
    for _ in 0..100 {
        let detail = json(&hub.hub, &["message", "show", id, "--json"]);
        let deliveries = detail["deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 20, "{detail}");
        delivered = deliveries.iter().filter(|d| d["status"] == "delivered").count();
        if delivered == 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(delivered, 20);

    let undeployed = json(&hub.hub, &["undeploy", "1", "--json"]);
    assert_eq!(undeployed["removed"], 20, "{undeployed}");
}
