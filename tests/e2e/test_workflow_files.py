"""Workflow files through the real window: a new workflow from the
template gallery, duplicate, rename (name and id), export through the
native save dialog, delete after the app's confirmation, import through
the native open dialog (under its own id, then again as a copy because
the id is taken, then a broken file refused with its name and fault).

The GTK file dialogs are real: xdotool focuses each one and types the path
into it, as a person would (WebDriver sees only the webview)."""

import json
import tempfile
import time
from pathlib import Path

from conftest import answer_dialog
from selenium.webdriver.common.keys import Keys
from test_tasks import find


def listed(app) -> list[str]:
    """The ids in the list, read in one script (the list re-renders)."""
    return app.driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=\"workflow-list\"] .workflow-item')]"
        ".map(e => e.dataset.testid.replace(/^workflow-/, ''))"
    )


def retype(app, test_id: str, text: str) -> None:
    field = find(app, test_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys(text)


def answer(title: str, path: Path, label: str) -> None:
    answer_dialog(title, path, f"test_workflow_files-{label}")


def test_workflow_files(launch):
    work = Path(tempfile.mkdtemp(prefix="sutazai-e2e-files-"))
    app = launch()
    app.click("nav-workflows")
    app.wait(lambda d: "code_review" in listed(app), 20)

    # A new workflow from the gallery: the ten shipped templates.
    app.click("new-from-template")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="template-code_review"]'), 10)
    cards = app.driver.find_elements("css selector", '[data-testid^="template-"].template-card')
    assert len(cards) == 10, [c.text for c in cards]
    review = app.text("template-code_review")
    assert "Code review" in review.lower().title() or "review" in review.lower(), review
    assert "steps" in review, review
    app.screenshot("1-gallery")
    app.click("template-code_review")
    retype(app, "template-naming-name", "Nightly review")
    assert find(app, "template-naming-id").get_attribute("value") == "nightly_review"
    app.click("template-naming-submit")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="designer"]'), 20)
    app.wait_text("designer-name", "Nightly review")
    app.click("designer-close")
    app.wait_text("workflow-id", "nightly_review")
    steps = app.driver.find_elements("css selector", '[data-testid="workflow-steps"] tbody tr')
    assert len(steps) >= 2, len(steps)

    # Duplicate, then rename the copy's name and id.
    app.click("workflow-duplicate")
    assert find(app, "duplicate-name").get_attribute("value") == "Copy of Nightly review"
    app.click("duplicate-submit")
    app.wait_text("workflow-id", "copy_of_nightly_review")
    app.click("workflow-rename")
    retype(app, "rename-name", "Weekly review")
    retype(app, "rename-id", "weekly_review")
    app.screenshot("2-rename")
    app.click("rename-submit")
    app.wait_text("workflow-id", "weekly_review")
    app.wait_text("workflow-name", "Weekly review")
    assert "copy_of_nightly_review" not in listed(app), listed(app)
    assert {"nightly_review", "weekly_review"} <= set(listed(app)), listed(app)

    # Export through the native save dialog.
    exported = work / "weekly.json"
    app.click("workflow-export")
    answer("Export the workflow", exported, "3-save-dialog")
    app.wait_text("workflow-file-notice", f"Exported to {exported}")
    saved = json.loads(exported.read_text())
    assert (saved["id"], saved["name"]) == ("weekly_review", "Weekly review"), saved

    # Delete, after the app's own confirmation.
    app.click("workflow-delete")
    said = app.text("delete-consequences")
    assert "weekly_review.json" in said and "Stays: its saved versions" in said, said
    app.screenshot("4-confirm-delete")
    app.click("delete-confirm")
    app.wait(lambda d: "weekly_review" not in listed(app), 10)

    # Import it back under its own id, then again: the id is taken now, so
    # it comes in as a copy and the first stays as it is.
    app.click("workflow-import")
    answer("Import a workflow", exported, "5-open-dialog")
    app.wait_text("workflow-id", "weekly_review")
    app.click("workflow-import")
    answer("Import a workflow", exported, "6-open-dialog-again")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="import-copy-dialog"]'), 20)
    assert "A workflow weekly_review exists already" in app.text("import-copy-reason")
    assert find(app, "import-copy-id").get_attribute("value") == "weekly_review_2"
    app.screenshot("7-import-copy")
    app.click("import-copy-submit")
    app.wait_text("workflow-id", "weekly_review_2")
    app.wait_text("workflow-name", "Weekly review (imported)")
    assert {"weekly_review", "weekly_review_2"} <= set(listed(app)), listed(app)

    # A file that is not a definition is refused, naming it and the fault.
    broken = work / "broken.json"
    broken.write_text('{"id": "x", "name": "X", "steps": [], "colour": "red"}')
    app.click("workflow-import")
    answer("Import a workflow", broken, "8-open-broken")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="workflow-import-error"]'), 20)
    error = app.text("workflow-import-error")
    assert error.startswith(f"{broken} is not a workflow definition: unknown field `colour`"), error
    app.screenshot("9-import-refused")
