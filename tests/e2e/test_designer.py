"""The workflow designer as a person uses it: make a new workflow, drag
three agents from the palette onto it (pointer events, as WebDriver can),
connect two, see a cycle refused, set a step's input template, undo and
redo, auto-layout, save a version, restart the app and find it unchanged;
then deploy phase 1, run the workflow from the designer, watch the nodes
turn green, open a step's output and re-run from the last step, reusing
the others' outputs. The agents think through the fake Ollama."""

import tempfile
import time
from pathlib import Path

from conftest import app_binary, remove_phase, wait_until_gone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from test_tasks import deploy_phase, find, wait_content
from test_models import FakeOllama
from test_workflows import MODELS

AGENTS = ["AG-001", "AG-002", "AG-003"]
NAME = "E2E designer"
WORKFLOW = "e2e_designer"


def nodes(app) -> list[str]:
    found = app.driver.find_elements("css selector", '[data-testid^="node-"][class*="step-node"]')
    return sorted(n.get_attribute("data-testid").removeprefix("node-") for n in found)


def edge_ids(app) -> set[str]:
    found = app.driver.find_elements("css selector", ".react-flow__edge")
    return {e.get_attribute("data-id") or e.get_attribute("data-testid") or "" for e in found}


def has_edge(app, source: str, target: str) -> bool:
    return any(f"{source}->{target}" in e for e in edge_ids(app))


def drag(app, element, target, dx: int, dy: int) -> None:
    """A pointer drag from `element` to `target` offset by (dx, dy)."""
    ActionChains(app.driver).click_and_hold(element).pause(0.1).move_to_element_with_offset(
        target, dx // 2, dy // 2
    ).pause(0.1).move_to_element_with_offset(target, dx, dy).pause(0.1).release().perform()


def scroll_into_view(app, element) -> None:
    """Scrolls `element` to the middle of its list and waits two frames: the
    web view hit-tests pointer input against the scroll position it last
    painted, so a press sent at once can land on the item scrolled away."""
    app.driver.execute_async_script(
        """const [element, done] = arguments;
        element.scrollIntoView({block: 'center'});
        requestAnimationFrame(() => requestAnimationFrame(() => done()));""",
        element,
    )


def set_input(app, step: str, text: str) -> None:
    """Selects `step` on the canvas and types its input template."""
    app.click("designer-fit")  # the step panel narrows the canvas: show every node
    time.sleep(0.3)
    ActionChains(app.driver).click(find(app, f"node-{step}")).perform()
    app.wait(lambda d: find(app, "step-title"), 10)
    field = find(app, "step-input")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys(text)
    find(app, "step-title").click()  # leaving the field applies it
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)


def wait_step(app, step: str) -> None:
    """Waits until `step`'s node reads succeeded; a step that failed instead
    fails the test with the error its panel shows."""
    status = app.wait(
        lambda d: (t := app.safe_text(f"node-status-{step}")) and t.split()[0] in ("succeeded", "failed") and t, 120
    )
    if status.startswith("failed"):
        ActionChains(app.driver).click(find(app, f"node-{step}")).perform()
        error = app.wait(lambda d: app.safe_text(f"step-error-{step}"), 10)
        raise AssertionError(f"step {step} failed: {error}")


def open_designer(app) -> None:
    app.click("nav-workflows")
    app.click(f"workflow-{WORKFLOW}")
    app.wait_text("workflow-id", WORKFLOW)
    app.click("workflow-design")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="designer-canvas"] .react-flow__node'), 20)


def test_a_workflow_is_built_by_drag_and_drop_and_survives_a_restart(launch):
    remove_phase(1)
    fake = FakeOllama(models=MODELS)
    try:
        build_run_and_rerun(launch, fake)
    finally:
        fake.stop()
        remove_phase(1)


def build_run_and_rerun(launch, fake) -> None:
    home = Path(tempfile.mkdtemp(prefix="sutazai-e2e-designer-"))
    env = {"SUTAZAI_OLLAMA_URL": fake.url}
    app = launch(env, home=home)
    app.click("nav-workflows")
    find(app, "new-workflow-name").send_keys(NAME)
    app.click("new-workflow-create")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="designer-canvas"] .react-flow'), 20)
    app.wait_text("designer-name", NAME)
    before = nodes(app)
    assert before == [], before
    app.screenshot("1-new-workflow")

    # Three agents dragged from the palette onto the canvas.
    canvas = find(app, "designer-canvas")
    for n, agent in enumerate(AGENTS):
        item = find(app, f"palette-agent-{agent}")
        scroll_into_view(app, item)
        drag(app, item, canvas, -250 + n * 240, -230 + n * 20)
        app.wait(lambda d, a=agent: a.lower().replace("-", "_") in nodes(app), 10)
        app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)
    assert nodes(app) == sorted(before + [a.lower().replace("-", "_") for a in AGENTS]), nodes(app)
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)
    app.screenshot("2-three-agents")

    # What the first and the third agent are asked (literal inputs).
    set_input(app, "ag_001", '{"goal": "Ship a login page"}')
    set_input(app, "ag_003", '{"tasks": ["login form"], "agents": ["AG-010"]}')
    app.click("designer-layout")
    time.sleep(0.5)  # the view fits itself to the new layout

    # Connect ag-001 → ag-002; the way back would close a cycle.
    drag(app, find(app, "node-out-ag_001"), find(app, "node-in-ag_002"), 0, 0)
    app.wait(lambda d: has_edge(app, "ag_001", "ag_002"), 10)
    drag(app, find(app, "node-out-ag_002"), find(app, "node-in-ag_001"), 0, 0)
    refusal = app.wait(
        lambda d: (e := d.find_elements("css selector", '[data-testid="designer-refusal"]')) and e[0].text, 10
    )
    assert "close a cycle" in refusal, refusal
    assert not has_edge(app, "ag_002", "ag_001")
    app.screenshot("3-cycle-refused")

    # The second step reads the first one's output: its input template.
    set_input(app, "ag_002", '{"task": "{{ steps.ag_001.output }}"}')

    # Undo takes the template back, then the edge; redo brings both back.
    app.click("designer-undo")
    app.wait(lambda d: '"task"' not in find(app, "step-input").get_attribute("value"), 10)
    assert has_edge(app, "ag_001", "ag_002"), "the explicit edge stays"
    app.click("designer-undo")
    app.wait(lambda d: not has_edge(app, "ag_001", "ag_002"), 10)
    app.click("designer-redo")
    app.click("designer-redo")
    app.wait(lambda d: has_edge(app, "ag_001", "ag_002"), 10)
    app.wait(lambda d: "steps.ag_001.output" in find(app, "step-input").get_attribute("value"), 10)
    app.screenshot("4-undone-and-redone")

    # Copy and paste a step (Ctrl+C, Ctrl+V): a copy under a fresh id; undo
    # takes it away again.
    app.click("designer-fit")
    time.sleep(0.3)
    ActionChains(app.driver).click(find(app, "node-ag_003")).perform()
    ActionChains(app.driver).key_down(Keys.CONTROL).send_keys("c").send_keys("v").key_up(Keys.CONTROL).perform()
    app.wait(lambda d: "ag_003_2" in nodes(app), 10)
    app.screenshot("4b-pasted")
    app.click("designer-undo")
    app.wait(lambda d: "ag_003_2" not in nodes(app), 10)

    app.click("designer-layout")
    app.click("designer-save")
    app.wait(lambda d: app.text("designer-keeping").startswith("Saved · version"), 10)
    saved = app.text("designer-keeping")
    app.screenshot("5-laid-out-and-saved")

    # Restart: the saved workflow comes back as it was.
    app.driver.quit()
    wait_until_gone(app_binary(), 20)
    app = launch(env, home=home)
    open_designer(app)
    assert nodes(app) == sorted(before + [a.lower().replace("-", "_") for a in AGENTS]), nodes(app)
    assert has_edge(app, "ag_001", "ag_002")
    assert app.text("designer-keeping") == saved, (app.text("designer-keeping"), saved)
    # The undo history came back with it.
    assert find(app, "designer-undo").is_enabled(), "the undo history survives a restart"
    app.screenshot("6-after-restart")

    # The versions: v1 (new, empty) beside v2 (saved) names the added steps.
    app.click("designer-versions-toggle")
    added = app.wait(lambda d: app.safe_text("version-added"), 10)
    assert added == "added: ag_001 ag_002 ag_003", added
    assert "v1 → v2" in app.text("version-changes")
    app.screenshot("7-versions")
    app.click("designer-versions-toggle")

    # Run it from the designer, with phase 1 deployed, and watch the graph.
    deploy_phase(app, 1, 20)
    open_designer(app)
    app.click("designer-run-open")
    app.wait(lambda d: find(app, "run-start").is_enabled(), 10)
    app.click("run-start")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="designer-runbar"]'), 20)
    for step in ("ag_001", "ag_002", "ag_003"):
        wait_step(app, step)
    wait_content(app, "designer-run-status", "succeeded", 20)
    assert "AG-002" in app.text("node-status-ag_002"), app.text("node-status-ag_002")
    first_run = find(app, "designer-run").get_attribute("value")
    app.screenshot("8-run-green")

    # Open the last step: what it was asked and what it answered.
    ActionChains(app.driver).click(find(app, "node-ag_002")).perform()
    output = app.wait(
        lambda d: (e := d.find_elements("css selector", '[data-testid="step-output-ag_002"]'))
        and e[0].get_attribute("textContent"),
        10,
    )
    assert output not in ("", "—"), output
    asked = find(app, "step-input-ag_002").get_attribute("textContent")
    assert "task" in asked, asked
    savings = app.text("run-step-savings")
    assert savings.startswith("reuses 1 step's output: saves "), savings
    app.screenshot("9-step-output")

    # Re-run from the last step: the first step's output is reused.
    app.click("run-step-rerun")
    app.wait(lambda d: find(app, "designer-run").get_attribute("value") != first_run, 20)
    wait_content(app, "designer-run-status", "succeeded", 120)
    saved_text = app.text("designer-run-saved")
    assert saved_text.startswith("reused 1 step: saved "), saved_text
    assert app.text("node-status-ag_001").startswith("succeeded"), app.text("node-status-ag_001")
    assert find(app, "timeline-ag_002")
    app.screenshot("10-rerun-from-last-step")

    # Back to editing: restoring v1 saves it as v3; v2 stays in the list.
    app.click("designer-run-leave")
    app.click("designer-versions-toggle")
    app.click("version-restore-1")
    app.wait(lambda d: app.text("designer-keeping") == "Saved · version 3", 10)
    app.wait(lambda d: nodes(app) == [], 10)
    app.click("designer-versions-toggle")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="version-2"]'), 10)
    app.screenshot("11-restored-v1")
