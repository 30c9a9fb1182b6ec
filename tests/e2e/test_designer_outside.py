"""A workflow saved elsewhere while it is edited in the designer (here: its
file edited by hand) is never overwritten in silence: the designer says so
and offers a merge, a copy of the edit, or the other version. The merge
keeps both sides' steps and is saved as the newest version."""

import json
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from test_designer import drag, nodes, scroll_into_view
from test_tasks import find

NAME = "E2E outside"
WORKFLOW = "e2e_outside"


def place(app, agent: str, dx: int) -> None:
    item = find(app, f"palette-agent-{agent}")
    scroll_into_view(app, item)
    drag(app, item, find(app, "designer-canvas"), dx, -150)
    app.wait(lambda d: agent.lower().replace("-", "_") in nodes(app), 10)
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)


def test_an_edit_made_on_disk_meanwhile_is_offered_as_a_merge(launch):
    home = Path(tempfile.mkdtemp(prefix="sutazai-e2e-outside-"))
    app = launch({}, home=home)
    app.click("nav-workflows")
    find(app, "new-workflow-name").send_keys(NAME)
    app.click("new-workflow-create")
    app.wait_text("designer-name", NAME)
    place(app, "AG-001", -200)
    app.click("designer-save")
    app.wait(lambda d: app.text("designer-keeping") == "Saved · version 2", 10)

    # An edit here, not saved yet…
    place(app, "AG-002", 100)
    # …while the file is edited by hand: a step added there.
    file = home / "data" / "workflows" / f"{WORKFLOW}.json"
    on_disk = json.loads(file.read_text())
    on_disk["steps"].append(
        {"id": "from_disk", "title": "Added by hand", "agent": "AG-005", "taskType": "echo", "input": {}}
    )
    file.write_text(json.dumps(on_disk, indent=2))

    banner = app.wait(lambda d: app.safe_text("designer-outside"), 20)
    assert "Version 3 was saved elsewhere (the file was edited" in banner, banner
    assert nodes(app) == ["ag_001", "ag_002"], "nothing is overwritten before the choice"
    app.screenshot("1-saved-elsewhere")

    app.click("outside-merge")
    app.wait(lambda d: nodes(app) == ["ag_001", "ag_002", "from_disk"], 10)
    app.wait(lambda d: not app.safe_text("designer-outside"), 10)
    app.click("designer-save")
    app.wait(lambda d: app.text("designer-keeping") == "Saved · version 4", 10)
    saved = json.loads(file.read_text())
    assert [s["id"] for s in saved["steps"]] == ["ag_001", "ag_002", "from_disk"], saved["steps"]
    app.screenshot("2-merged-and-saved")
