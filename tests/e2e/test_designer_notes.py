"""The designer's sticky notes, problems list and template completion as a
person uses them: add a note and write in it, choose a step's output from
the completions while typing its input, see the problem a bad template
makes listed, and choose it to select its step. Deploys nothing."""

import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from test_designer import drag, nodes, scroll_into_view
from test_tasks import find


def test_notes_problems_and_completion(launch):
    app = launch()
    app.click("nav-workflows")
    find(app, "new-workflow-name").send_keys("E2E notes")
    app.click("new-workflow-create")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="designer-canvas"] .react-flow'), 20)

    # Two agents from the palette.
    canvas = find(app, "designer-canvas")
    for n, agent in enumerate(["AG-001", "AG-002"]):
        item = find(app, f"palette-agent-{agent}")
        scroll_into_view(app, item)
        drag(app, item, canvas, -200 + n * 260, -150)
        app.wait(lambda d, a=agent: a.lower().replace("-", "_") in nodes(app), 10)
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)

    # A note: added from the toolbar, written in with a double-click.
    app.click("designer-add-note")
    # React Flow keeps a node hidden until it has measured it: wait until it shows.
    note = app.wait(
        lambda d: [n for n in d.find_elements("css selector", '[data-testid="note-note_1"]') if n.is_displayed()], 10
    )[0]
    ActionChains(app.driver).double_click(note).perform()
    text = app.wait(lambda d: d.find_elements("css selector", '[data-testid="note-text-note_1"]'), 10)[0]
    text.send_keys("Ask legal before step two")
    find(app, "designer-name").click()  # leaving the note applies it
    app.wait(lambda d: find(app, "note-note_1").text == "Ask legal before step two", 10)
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)
    app.screenshot("1-note")

    # The second step's input: `{{ st` offers the first step's output.
    app.click("designer-fit")
    time.sleep(0.3)
    ActionChains(app.driver).click(find(app, "node-ag_002")).perform()
    field = app.wait(lambda d: d.find_elements("css selector", '[data-testid="step-input"]'), 10)[0]
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys('{"task": "{{ st')
    offered = app.wait(lambda d: app.safe_text("step-input-completions"), 10)
    assert "steps.ag_001.output" in offered, offered
    app.screenshot("2-completion")
    field.send_keys(Keys.ENTER)
    field.send_keys('", "x": "{{ inputs.nope }}"}')
    value = field.get_attribute("value")
    assert value == '{"task": "{{ steps.ag_001.output }}", "x": "{{ inputs.nope }}"}', value
    find(app, "step-title").click()  # leaving the field applies it
    app.wait(lambda d: "Draft kept" in app.text("designer-keeping"), 10)

    # The bad template's problem is listed; choosing it selects its step.
    ActionChains(app.driver).click(find(app, "note-note_1")).perform()  # the step is no longer selected
    app.wait(lambda d: not d.find_elements("css selector", '[data-testid="step-panel"]'), 10)
    app.wait(lambda d: "problem" in (app.safe_text("designer-problems-toggle") or ""), 10)
    app.click("designer-problems-toggle")
    listed = app.wait(lambda d: app.safe_text("designer-problems-list"), 10)
    assert "no input `nope`" in listed, listed
    problem = next(
        p
        for p in app.driver.find_elements("css selector", '[data-testid^="designer-problem-"]')
        if "nope" in p.text and p.tag_name == "button"
    )
    problem.click()
    panel = app.wait(lambda d: d.find_elements("css selector", '[data-testid="step-panel"]'), 10)[0]
    assert panel.get_attribute("aria-label") == "Step ag_002", panel.get_attribute("aria-label")
    assert "selected" in find(app, "node-ag_002").get_attribute("class")
    time.sleep(0.5)  # the view glides to the step
    app.screenshot("3-problem-chosen")

    # Delete removes the note (selected, outside any field); undo brings it back.
    ActionChains(app.driver).click(find(app, "note-note_1")).perform()
    ActionChains(app.driver).send_keys(Keys.DELETE).perform()
    app.wait(lambda d: not d.find_elements("css selector", '[data-testid="note-note_1"]'), 10)
    app.click("designer-undo")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="note-note_1"]'), 10)
    app.screenshot("4-note-back")
