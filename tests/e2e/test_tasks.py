"""Tasks and API keys as a person uses them: submit a task from the Tasks
view, watch it succeed and read why the router chose its agent; make an API
key in Settings, see it once, revoke it."""

import re
import urllib.error
import urllib.request

from conftest import closed_port_url, free_port, remove_phase_1, wait_for_port
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

# Four phase-1 agents have it (AG-001, AG-003, AG-010, AG-011), so the
# router has a choice to explain.
CAPABILITY = "prioritization"


def find(app, test_id: str):
    return app.driver.find_element("css selector", f'[data-testid="{test_id}"]')


def choose(app, test_id: str, value: str) -> None:
    app.wait(lambda d: d.find_elements("css selector", f'[data-testid="{test_id}"] option[value="{value}"]'), 20)
    Select(find(app, test_id)).select_by_value(value)
    app.wait(lambda d: find(app, test_id).get_attribute("value") == value, 5)


def wait_content(app, test_id: str, expected: str, timeout: float = 20) -> None:
    """Waits until the element's textContent is `expected` (read that way
    because a row may be scrolled out of view when the detail opens)."""

    def content(_):
        found = app.driver.find_elements("css selector", f'[data-testid="{test_id}"]')
        return found[0].get_attribute("textContent") if found else None

    try:
        app.wait(lambda d: content(d) == expected, timeout)
    except Exception:
        app.screenshot("timeout")
        raise AssertionError(f"{test_id!r} never read {expected!r}; last: {content(None)!r}")


def retype(element, text: str) -> None:
    """Replaces a field's text as a person would (`clear()` fires no input
    event, so React would keep the old text)."""
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.BACKSPACE)
    element.send_keys(text)


def deploy_phase(app, phase: int, agents: int) -> None:
    app.click("nav-deploy")
    app.wait_text(f"phase-{phase}-agents", str(agents))
    app.click(f"deploy-{phase}")
    summary = app.wait(
        lambda d: (e := d.find_elements("css selector", f'[data-testid="deploy-summary-{phase}"]')) and e[0].text, 180
    )
    assert summary.startswith(f"{agents}/{agents} healthy in "), summary


def open_keys(app) -> None:
    """The API keys, in the Security view's tab."""
    app.click("nav-security")
    app.click("security-tab-keys")


def deploy_phase_1(app) -> None:
    deploy_phase(app, 1, 20)


def test_a_task_submitted_from_the_tasks_view_succeeds_and_explains_its_route(launch):
    remove_phase_1()
    app = launch({"SUTAZAI_OLLAMA_URL": closed_port_url()})
    try:
        deploy_phase_1(app)
        app.click("nav-tasks")
        app.wait_text("view-title", "Tasks")
        choose(app, "task-capability", CAPABILITY)
        assert find(app, "task-type").get_attribute("value") == "echo"

        # The payload is checked as it is typed: broken JSON cannot be sent.
        payload = find(app, "task-payload")
        retype(payload, '{"text": ')
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="task-payload-error"]'), 5)
        assert not find(app, "tasks-submit").is_enabled()
        retype(payload, '{"text": "hello from e2e"}')
        app.wait(lambda d: not d.find_elements("css selector", '[data-testid="task-payload-error"]'), 5)
        app.click("tasks-submit")

        submitted = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="task-submitted"]')) and e[0].text, 20
        )
        task_id = re.fullmatch(r"Submitted (t-[0-9a-z]+-[0-9a-f]+)", submitted).group(1)
        wait_content(app, f"task-status-{task_id}", "succeeded", 60)
        # The new task opens in the detail panel, which follows it live.
        app.wait_text("task-detail-status", "succeeded", 20)
        assert "hello from e2e" in app.text("task-result"), app.text("task-result")

        # The routing explanation: every candidate with its figures, the
        # chosen one marked, and it is the agent that ran the task.
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="task-route"]'), 20)
        rows = app.driver.find_elements("css selector", '[data-testid^="route-candidate-"]')
        assert len(rows) >= 1, "no candidates"
        chosen = [r for r in rows if "route-chosen" in (r.get_attribute("class") or "")]
        assert len(chosen) == 1, [r.text for r in rows]
        container = chosen[0].get_attribute("data-testid").removeprefix("route-candidate-")
        score = app.text(f"route-score-{container}")
        assert re.fullmatch(r"\d+\.\d{3}", score), score
        held_by = app.text("task-detail-agent")
        assert container in held_by, (container, held_by)
        agents = {re.match(r"AG-\d{3}", r.get_attribute("textContent")).group(0) for r in rows}
        assert agents <= {"AG-001", "AG-003", "AG-010", "AG-011"}, agents
        assert "score = load" in app.text("task-route-weights")
        app.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'start'})", find(app, "task-route")
        )
        app.screenshot("task-route")
        print(f"task {task_id}: {len(rows)} candidates, chose {container} with score {score}")
    finally:
        remove_phase_1()


def test_a_task_nobody_can_take_waits_and_can_be_cancelled(launch, tmp_path):
    app = launch({"SUTAZAI_OLLAMA_URL": closed_port_url(), "SUTAZAI_DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    app.click("nav-tasks")
    choose(app, "task-capability", CAPABILITY)
    app.click("tasks-submit")
    submitted = app.wait(
        lambda d: (e := d.find_elements("css selector", '[data-testid="task-submitted"]')) and e[0].text, 20
    )
    task_id = submitted.removeprefix("Submitted ")
    wait_content(app, f"task-status-{task_id}", "queued")
    app.wait_text("task-count-queued", "queued 1", 20)
    app.screenshot("task-queued")
    app.click("task-cancel")
    app.wait_text("task-detail-status", "cancelled", 20)
    wait_content(app, f"task-status-{task_id}", "cancelled")
    app.click("task-requeue")
    app.wait_text("task-detail-status", "queued", 20)


def api_status(port: int, path: str, key: str) -> int:
    """The HTTP status the local API answers `key` with."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_an_api_key_is_shown_once_and_can_be_revoked(launch, tmp_path):
    api = free_port()
    app = launch(
        {
            "SUTAZAI_OLLAMA_URL": closed_port_url(),
            "SUTAZAI_DOCKER_HOST": f"unix://{tmp_path}/none.sock",
            "SUTAZAI_API_LISTEN": f"127.0.0.1:{api}",
        }
    )
    open_keys(app)
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="keys-none"]'), 20)
    retype(find(app, "key-name"), "e2e bot")
    choose(app, "key-role", "analyst")
    app.click("key-create")

    app.wait(lambda d: d.find_elements("css selector", '[data-testid="key-created-value"]'), 20)
    key = find(app, "key-created-value").get_attribute("value")
    assert re.fullmatch(r"sk_[0-9a-f]{8}_[0-9a-f]{40}", key), key
    assert "only time" in app.text("key-created")
    rows = app.driver.find_elements("css selector", '[data-testid^="key-row-"]')
    assert len(rows) == 1 and "e2e bot" in rows[0].text and "analyst" in rows[0].text, [r.text for r in rows]
    key_id = rows[0].get_attribute("data-testid").removeprefix("key-row-")
    assert key[:11] in rows[0].text and key not in rows[0].text
    app.screenshot("key-created")
    # The key works on the local API: an analyst reads tasks.
    wait_for_port(api, 10)
    assert api_status(api, "/v1/tasks", key) == 200

    # Shown once: leaving the Security view and coming back, the key is nowhere.
    app.click("nav-overview")
    open_keys(app)
    app.wait(lambda d: d.find_elements("css selector", f'[data-testid="key-row-{key_id}"]'), 20)
    assert not app.driver.find_elements("css selector", '[data-testid="key-created"]')
    assert key not in app.driver.page_source

    app.click(f"key-revoke-{key_id}")
    app.click(f"key-revoke-confirm-{key_id}")
    app.wait(lambda d: d.find_elements("css selector", f'[data-testid="key-revoked-{key_id}"]'), 20)
    assert not app.driver.find_elements("css selector", f'[data-testid="key-revoke-{key_id}"]')
    app.screenshot("key-revoked")
    # Revoked means refused at once.
    assert api_status(api, "/v1/tasks", key) == 401
