"""Workflows as a person uses them: with phases 1 and 2 deployed, run a shipped
template from the Workflows view, watch its steps finish live, open a
step's output. The agents think through the app's LLM gateway with the
Rust fake Ollama (Ollama cannot run here)."""

from conftest import remove_phase
from test_models import FakeOllama
from selenium.webdriver.support.ui import Select
from test_tasks import deploy_phase, find, retype, wait_content

# The deployed agents' models, preferred and fallback, so every one is served.
MODELS = ",".join(
    [
        "llama3.2:1b",
        "mistral:7b-instruct-q4_K_M",
        "qwen2.5-coder:1.5b",
        "qwen2.5:1.5b",
        "qwen2.5:0.5b",
        "deepseek-coder:1.3b",
        "deepseek-coder:6.7b-instruct-q4_K_M",
        "tinyllama:latest",
    ]
)

# Its swarm (AG-001, AG-037) spans phases 1 and 2; AG-011 commits the sprint.
TEMPLATE = "sprint_planning"


def test_a_template_runs_from_the_workflows_view_and_shows_each_step(launch):
    remove_phase(1)
    remove_phase(2)
    fake = FakeOllama(models=MODELS)
    try:
        app = launch({"SUTAZAI_OLLAMA_URL": fake.url})
        app.click("nav-workflows")
        app.click(f"workflow-{TEMPLATE}")
        # Nothing deployed yet: the check before a run says what would wait.
        warnings = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="run-warnings"]')) and e[0].text, 20
        )
        assert "deploy phase 1" in warnings, warnings
        deploy_phase(app, 1, 20)
        deploy_phase(app, 2, 25)
        app.click("nav-workflows")
        app.wait_text("view-title", "Workflows")
        app.click(f"workflow-{TEMPLATE}")
        app.wait_text("workflow-id", TEMPLATE)
        # Every agent is up and every model pulled: nothing to warn about.
        app.wait(lambda d: not d.find_elements("css selector", '[data-testid="run-warnings"]'), 20)

        # The form checks each input as it is typed.
        backlog = find(app, "run-input-backlog")
        retype(backlog, '["Search (5)", ')
        app.wait(lambda d: not find(app, "run-start").is_enabled(), 5)
        retype(backlog, '["Search (5)", "Password reset (3)", "Dark mode (2)"]')
        retype(find(app, "run-input-goal"), "Users find things fast")
        app.wait(lambda d: find(app, "run-start").is_enabled(), 5)
        app.click("run-start")

        # The run opens at once and its steps follow live to the end.
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="run-detail"]'), 20)
        wait_content(app, "run-status", "succeeded", 120)
        wait_content(app, "step-status-prioritize", "succeeded")
        wait_content(app, "step-status-commit", "succeeded")
        swarm = find(app, "run-step-prioritize").get_attribute("textContent")
        assert "AG-" in swarm, swarm

        # Open the step: click its title, as a person would.
        title = find(app, "run-step-commit").find_element("css selector", "td strong")
        app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", title)
        title.click()
        output = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="step-output-commit"]'))
            and e[0].get_attribute("textContent"),
            10,
        )
        assert output not in ("", "—"), output
        agents = find(app, "step-io-commit").get_attribute("textContent")
        assert "scored best of" in agents, agents
        app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", find(app, "step-io-commit"))
        app.screenshot("workflow-run")
        print(f"{TEMPLATE}: succeeded; commit step output {output[:80]!r}")

        # The designer draws the run with the version it ran, each node with
        # its state, agent, time and tokens.
        app.click("run-close")
        app.click("workflow-design")
        app.wait(lambda d: d.find_elements("css selector", f'[data-testid="designer-run"] option[value^="r-"]'), 20)
        run_id = find(app, "designer-run").find_elements("css selector", 'option[value^="r-"]')[0].get_attribute("value")
        Select(find(app, "designer-run")).select_by_value(run_id)
        for step in ("prioritize", "commit"):
            status = app.wait(
                lambda d, s=step: (e := d.find_elements("css selector", f'[data-testid="node-status-{s}"]'))
                and e[0].get_attribute("textContent"),
                20,
            )
            assert status.startswith("succeeded"), status
            assert "tokens" in status, status
        app.screenshot("workflow-run-on-graph")
    finally:
        remove_phase(1)
        remove_phase(2)
        fake.stop()
