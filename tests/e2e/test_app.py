"""The app as a person uses it: launch, read the Overview, watch Docker go
away, read Settings, and get a clear dialog when the data dir is unusable."""

import os
import re
import sqlite3
import subprocess
from pathlib import Path

from conftest import OUTPUT, ROOT, app_binary, app_pids, closed_port_url, remove_phase_1
from selenium.webdriver.common.keys import Keys

def declared_views() -> list[str]:
    """Every view, as `ui/src/stores/nav.ts` declares them (VIEW_IDS)."""
    nav = (ROOT / "ui" / "src" / "stores" / "nav.ts").read_text()
    ids = re.search(r"VIEW_IDS = \[(.*?)\] as const", nav, re.S).group(1)
    return re.findall(r'"([a-z]+)"', ids)


VIEWS = declared_views()


def docker_server_version() -> str:
    out = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_launch_shows_docker_connected_and_ollama_unreachable(launch):
    ollama_url = closed_port_url()
    app = launch({"SUTAZAI_OLLAMA_URL": ollama_url})
    assert app.driver.title == "SutazAI Control Center"
    app.wait_text("view-title", "Overview")

    app.wait_text("docker-state", "Connected")
    assert app.text("docker-version") == docker_server_version()
    assert "running of" in app.text("docker-containers")

    app.wait_text("ollama-state", "Not reachable")
    assert ollama_url in app.text("ollama-problem")
    assert "is Ollama running?" in app.text("ollama-problem")
    assert app.text("data-dir") == str(app.home / "data")
    # The shipped catalog is seeded into the data dir on first start.
    app.wait_text("catalog-agents", "69")
    assert app.text("catalog-phases") == "20 · 25 · 24"
    assert (app.home / "data" / "catalog" / "phase-1" / "AG-017-adversarial-attack-detector.toml").exists()
    app.screenshot("overview")

    # The real window, decorations and all, as the X server shows it.
    OUTPUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", str(OUTPUT / f"{app.name}-screen.png")], check=False)


def environment_of(pid: int) -> dict[str, str]:
    """The environment a process image started with."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(entry.split("=", 1) for entry in raw.split("\0") if "=" in entry)


def test_the_idle_memory_settings_reach_the_app_and_its_web_process(launch):
    """src-tauri/src/footprint.rs: mimalloc reads its setting before `main`,
    so the app starts itself again with it (the same process); the web
    process inherits JavaScriptCore's."""
    assert "MIMALLOC_PURGE_DELAY" not in os.environ, "the test needs the app to set it itself"
    app = launch()
    app.wait_text("view-title", "Overview")
    [pid] = app_pids(app_binary())
    assert environment_of(pid).get("MIMALLOC_PURGE_DELAY") == "0"
    web = subprocess.run(["pgrep", "-P", str(pid), "WebKitWebProces"], capture_output=True, text=True).stdout.split()
    assert web, "the app started no WebKit web process"
    javascript = environment_of(int(web[0]))
    assert javascript.get("JSC_smallHeapGrowthFactor") == "1.5"
    assert javascript.get("JSC_useDFGJIT") == "0"
    assert javascript.get("JSC_useFTLJIT") == "0"


def test_docker_going_away_is_shown_and_the_app_keeps_working(launch, private_dockerd):
    app = launch(
        {
            "SUTAZAI_DOCKER_HOST": private_dockerd.host,
            "SUTAZAI_OLLAMA_URL": closed_port_url(),
            "SUTAZAI_STATUS_INTERVAL_MS": "500",
        }
    )
    app.wait_text("docker-state", "Connected")
    assert app.text("docker-version") == private_dockerd.version()
    app.screenshot("connected")

    private_dockerd.stop()
    app.wait_text("docker-state", "Not reachable")
    problem = app.text("docker-problem")
    assert str(private_dockerd.socket) in problem, problem
    app.screenshot("not-reachable")

    # Still alive and responsive: a manual check answers, and views switch.
    app.click("refresh-status")
    app.wait_text("refresh-status", "Check now")
    assert app.text("docker-state") == "Not reachable"
    app.click("nav-settings")
    app.wait_text("view-title", "Settings")

    # The registry is still listed, every agent "unknown", with one banner.
    app.click("nav-agents")
    banner = app.wait(
        lambda d: (e := d.find_elements("css selector", '[data-testid="docker-down"]')) and e[0].text, 20
    )
    assert str(private_dockerd.socket) in banner, banner
    app.wait_text("agent-status-AG-001", "unknown")
    assert app.text("agent-status-AG-069") == "unknown"
    app.screenshot("agents-docker-down")


def test_every_view_is_reachable(launch):
    app = launch({"SUTAZAI_OLLAMA_URL": closed_port_url()})
    app.wait_text("view-title", "Overview")
    for view in VIEWS:
        app.click(f"nav-{view}")
        app.wait_text("view-title", view.capitalize())
        # Each view draws something of its own (some load it first).
        app.wait(
            lambda d: d.find_elements("css selector", "main.content section, main.content .card, main.content table"),
            10,
        )
    app.click("nav-security")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="security-tab-alerts"]'), 10)
    app.screenshot("security-view")


def test_a_broken_config_file_is_named_in_settings(launch, tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('colour = "blue"\nprobe_timeout_ms = "fast"\nstatus_interval_ms = 4000\n')
    app = launch({"SUTAZAI_CONFIG": str(config), "SUTAZAI_OLLAMA_URL": closed_port_url()})
    app.wait_text("docker-state", "Connected")
    app.click("nav-settings")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="config-issue"]'))
    issues = [e.text for e in app.driver.find_elements("css selector", '[data-testid="config-issue"]')]
    assert any(str(config) in i and "colour" in i and "unknown key" in i for i in issues), issues
    assert any("probe_timeout_ms" in i and "expected an integer" in i for i in issues), issues
    # The good key from the same file still applies, and says where it came from.
    assert app.text("config-status_interval_ms-source") == f"file {config}"
    assert app.text("config-probe_timeout_ms-source") == "default"
    app.screenshot("settings-issues")


def test_a_broken_manifest_is_named_and_the_rest_still_load(launch, tmp_path: Path):
    app = launch({"SUTAZAI_OLLAMA_URL": closed_port_url()})
    app.wait_text("catalog-agents", "69")
    manifest = app.home / "data" / "catalog" / "phase-1" / "AG-017-adversarial-attack-detector.toml"
    manifest.write_text(manifest.read_text().replace("port = 10316", 'port = "high"'))
    # The folder is watched: the change applies live, without a restart.
    # AG-064 depends on AG-017, so it cannot load either: 69 - 2.
    app.wait_text("catalog-agents", "67")
    problems = [e.text for e in app.driver.find_elements("css selector", '[data-testid="catalog-problem"]')]
    assert any(str(manifest) in p and "`port`" in p and "invalid type" in p for p in problems), problems
    assert any("AG-064" in p and "AG-017 is not a loaded agent" in p for p in problems), problems
    app.screenshot("broken-manifest")


def test_an_unusable_data_dir_gets_a_clear_dialog(launch, tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = launch({"SUTAZAI_DATA_DIR": str(blocker / "data"), "SUTAZAI_OLLAMA_URL": closed_port_url()})
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="startup-error"]'))
    message = app.text("startup-error-message")
    assert "cannot create the data dir" in message and str(blocker / "data") in message, message
    app.screenshot("data-dir-dialog")
    # Closing the dialog leaves a page that still says what is wrong.
    app.driver.find_element("css selector", "[data-testid=startup-error] button").click()
    assert "cannot create the data dir" in app.text("engine-problem")


def scale_to(app, instances: int) -> None:
    """Types a count into the open agent's scale field and waits for all healthy."""
    field = app.driver.find_element("css selector", '[data-testid="scale-input"]')
    # Delete as a person would: `clear()` fires no input event, so React
    # kept the old value and the typed digit was appended to it ("21").
    field.send_keys(Keys.END, Keys.BACKSPACE * 3, str(instances))
    assert field.get_attribute("value") == str(instances), field.get_attribute("value")
    app.click("scale-apply")
    noun = "instance" if instances == 1 else "instances"
    app.wait_text("scale-result", f"{instances}/{instances} {noun} healthy", 60)


def test_one_click_phase_deploy_shows_live_progress_and_healthy_agents(launch):
    """The customer's story: click Deploy on Phase 1, watch 20/20 come up
    healthy, see them in the Agents view, read one agent's logs."""
    remove_phase_1()
    app = launch({"SUTAZAI_OLLAMA_URL": closed_port_url()})
    app.click("nav-deploy")
    app.wait_text("phase-1-agents", "20")
    try:
        app.click("deploy-1")
        # Live progress: the per-agent list appears and fills in.
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="deploy-progress-1"]'), 20)
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="deploy-agent-AG-001"]'), 20)
        app.screenshot("deploying")
        summary = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="deploy-summary-1"]')) and e[0].text, 120
        )
        assert summary.startswith("20/20 healthy in "), summary
        stages = {
            e.get_attribute("data-testid"): e.get_attribute("data-stage")
            for e in app.driver.find_elements("css selector", '[data-testid^="deploy-agent-"]')
        }
        assert len(stages) == 20 and set(stages.values()) <= {"healthy", "unchanged"}, stages
        app.wait_text("phase-1-healthy", "20/20 healthy", 30)
        app.screenshot("deployed")

        app.click("nav-agents")
        app.wait_text("agent-status-AG-017", "healthy", 30)
        assert app.text("agent-status-AG-021") == "not deployed"
        app.click("action-logs-AG-017")
        logs = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="agent-logs"]')) and e[0].text, 30
        )
        assert "agent serving" in logs and "AG-017" in logs, logs
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="logs-following"]'), 10)
        # Live resource use, sampled once a second from the cgroups.
        cpu = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="agent-cpu-AG-017"]'))
            and "%" in e[0].text
            and e[0].text,
            20,
        )
        assert "MB" in app.text("agent-mem-AG-017"), app.text("agent-mem-AG-017")
        assert app.text("agent-cpu-AG-021") == "—"
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="agent-sparkline-cpu"]'), 10)
        # The agent's history starts with its deploy.
        history = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="history-entry"]')) and e[-1].text, 20
        )
        assert "deployed" in history, history
        app.screenshot("agents-with-logs")

        # Scale to two instances and back to one, from the detail panel.
        scale_to(app, 2)
        # The row's chip may be scrolled out of view: read its content.
        app.wait(
            lambda d: d.find_element("css selector", '[data-testid="agent-instances-AG-017"]').get_attribute(
                "textContent"
            )
            == "×2",
            20,
        )
        app.screenshot("agent-scaled")
        scale_to(app, 1)
        print(f"AG-017 CPU shown: {cpu}")

        # Every click above is in the audit log, as the desktop user from
        # the window (read from the app's own database).
        audited = audit_log(app.home / "data" / "sutazai.db")
        for action, target in [("fleet.deploy", "phase 1"), ("fleet.scale", "AG-017")]:
            rows = [r for r in audited if r[2] == action and r[3] == target and r[4] == "ok"]
            assert rows, f"no audit entry {action} {target}: {audited}"
            assert all(r[:2] == ("desktop", "window") for r in rows), rows
        assert sum(r[2] == "fleet.scale" for r in audited) == 2, audited
    finally:
        remove_phase_1()


def audit_log(database: Path) -> list[tuple[str, str, str, str, str]]:
    """(actor, origin, action, target, outcome) of every audit entry, oldest first."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return db.execute("SELECT actor, origin, action, target, outcome FROM audit_log ORDER BY id").fetchall()
