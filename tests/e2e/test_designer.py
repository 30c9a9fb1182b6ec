"""The workflow designer as a person uses it: make a new workflow, drag
three agents from the palette onto it (pointer events, as WebDriver can),
connect two, see a cycle refused, set a step's input template, undo and
redo, auto-layout, save a version, restart the app and find it unchanged."""

import tempfile
import time
from pathlib import Path

from conftest import app_binary, closed_port_url, wait_until_gone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from test_tasks import find

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


def open_designer(app) -> None:
    app.click("nav-workflows")
    app.click(f"workflow-{WORKFLOW}")
    app.wait_text("workflow-id", WORKFLOW)
    app.click("workflow-design")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="designer-canvas"] .react-flow__node'), 20)


def test_a_workflow_is_built_by_drag_and_drop_and_survives_a_restart(launch):
    home = Path(tempfile.mkdtemp(prefix="sutazai-e2e-designer-"))
    env = {"SUTAZAI_OLLAMA_URL": closed_port_url()}
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
        app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", item)
        drag(app, item, canvas, -250 + n * 240, -230 + n * 20)
        app.wait(lambda d, a=agent: a.lower().replace("-", "_") in nodes(app), 10)
    assert nodes(app) == sorted(before + [a.lower().replace("-", "_") for a in AGENTS]), nodes(app)
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)
    app.screenshot("2-three-agents")
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
    node = find(app, "node-ag_002")
    ActionChains(app.driver).click(node).perform()
    field = app.wait(lambda d: (e := d.find_elements("css selector", '[data-testid="step-input"]')) and e[0], 10)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys('{"task": "{{ steps.ag_001.output }}"}')
    find(app, "step-title").click()  # leaving the field applies it
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)

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
    app.screenshot("6-after-restart")
