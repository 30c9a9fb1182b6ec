"""Metrics as a person uses them: with phase 1 deployed and some tasks done,
the Metrics view's charts (SVGs the engine draws) are there and move on
their own; the range changes to 1 h and 24 h; an agent gets charts of its
own; the pointer's crosshair reads the values under it; Export PNG writes a
real PNG through the native save dialog; the Overview's "Fleet now" reads
the deployed fleet.

The GTK save dialog is real: xdotool focuses it and types the path into
it, as a person would (WebDriver sees only the webview)."""

import re
import shutil
import tempfile
import time
from pathlib import Path

from conftest import OUTPUT, answer_dialog, remove_phase_1
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import Select
from test_models import FakeOllama
from test_tasks import CAPABILITY, choose, deploy_phase_1, find
from test_workflows import MODELS

TASKS = 6
# In phase 3, which the test does not deploy.
IDLE_AGENT = "AG-069"


def svg_of(app, chart: str) -> str:
    """The chart's SVG as drawn now ('' while there is none)."""
    return app.driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "const svg = e && e.querySelector('svg');"
        "return svg ? svg.outerHTML : '';",
        f'[data-testid="chart-svg-{chart}"]',
    )


def wait_svg(app, chart: str, timeout: float = 30) -> str:
    try:
        return app.wait(lambda d: svg_of(app, chart), timeout)
    except Exception:
        app.screenshot(f"no-svg-{chart}")
        errors = app.driver.execute_script(
            "return [...document.querySelectorAll('[data-testid^=\"chart-error-\"]')].map(e => e.textContent)"
        )
        raise AssertionError(f"chart {chart!r} never drew; errors: {errors}")


def no_chart_errors(app) -> None:
    errors = app.driver.execute_script(
        "return [...document.querySelectorAll('[data-testid^=\"chart-error-\"]')].map(e => e.dataset.testid + ': ' + e.textContent)"
    )
    assert not errors, errors


def pick_range(app, range_id: str, before: str) -> str:
    """Chooses a range; returns the throughput chart as redrawn for it."""
    app.click(f"range-{range_id}")
    app.wait(lambda d: find(app, f"range-{range_id}").get_attribute("aria-pressed") == "true", 5)
    return app.wait(lambda d: (svg := svg_of(app, "throughput")) and svg != before and svg, 30)


def scroll_to(app, test_id: str) -> None:
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", find(app, test_id))
    time.sleep(0.3)  # painted before the screenshot


def submit_tasks(app, count: int) -> None:
    app.click("nav-tasks")
    app.wait_text("view-title", "Tasks")
    choose(app, "task-capability", CAPABILITY)
    seen = set()
    for _ in range(count):
        app.click("tasks-submit")
        submitted = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="task-submitted"]'))
            and (text := e[0].text) not in seen
            and text,
            20,
        )
        seen.add(submitted)


def test_metrics_charts_live_ranges_crosshair_export_and_fleet_now(launch):
    remove_phase_1()
    fake = FakeOllama(models=MODELS)
    work = Path(tempfile.mkdtemp(prefix="sutazai-e2e-metrics-"))
    try:
        app = launch({"SUTAZAI_OLLAMA_URL": fake.url})
        deploy_phase_1(app)
        submit_tasks(app, TASKS)

        # The Overview's Fleet now reads the deployed fleet.
        app.click("nav-overview")
        app.wait_text("fleet-now-healthy", "20 of 20", 30)
        assert app.text("fleet-now-runs") == "0", app.text("fleet-now-runs")
        # Latest alerts: the open ones, or a word that there are none.
        listed = app.driver.find_elements("css selector", '[data-testid^="latest-alert-"]')
        assert listed or "No open alerts" in app.text("latest-alerts"), app.text("latest-alerts")
        app.screenshot("overview")

        app.click("nav-metrics")
        app.wait_text("view-title", "Metrics")
        charts = [
            "throughput",
            "success-rate",
            "latency",
            "healthy-agents",
            "agents-cpu",
            "agents-memory",
            "llm-tokens",
            "app-cpu",
            "app-memory",
        ]
        drawn = {chart: wait_svg(app, chart) for chart in charts}
        no_chart_errors(app)
        assert "Throughput" in drawn["throughput"], drawn["throughput"][:300]
        # The tasks ended: the throughput chart has no empty-state note.
        app.wait(lambda d: not d.find_elements("css selector", '[data-testid="chart-empty-throughput"]'), 20)
        assert app.text("range-live") == "Live: redrawn every second."
        app.screenshot("fleet")

        # Live: a few seconds later the charts are drawn anew from new samples.
        time.sleep(4)
        later = {chart: svg_of(app, chart) for chart in charts}
        moved = [c for c in charts if later[c] and later[c] != drawn[c]]
        assert {"app-cpu", "app-memory"} & set(moved), f"nothing moved in 4 s; moved: {moved}"

        # An agent of its own (the picker offers the catalog's agents and
        # goes back to "Add an agent…" once one is picked).
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="agent-pick"] option[value="AG-001"]'), 20)
        Select(find(app, "agent-pick")).select_by_value("AG-001")
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="agent-chip-AG-001"]'), 10)
        for chart in ("ag-001-cpu", "ag-001-memory", "ag-001-tasks", "ag-001-latency"):
            wait_svg(app, chart)
        # An agent of phase 3, never deployed: its charts say what to do.
        Select(find(app, "agent-pick")).select_by_value(IDLE_AGENT)
        wait_svg(app, "ag-069-cpu")
        assert "Deploy its phase" in app.text("chart-empty-ag-069-cpu"), app.text("chart-empty-ag-069-cpu")
        no_chart_errors(app)
        scroll_to(app, "agent-charts-AG-001")
        app.screenshot("agent")
        app.driver.execute_script("const c = document.querySelector('.content'); c.scrollTo(0, c.scrollHeight)")
        time.sleep(0.3)
        app.screenshot("agent-idle")

        # The pointer's crosshair reads the values under it: near the plot's
        # right end (the newest seconds; before them the app was not running).
        scroll_to(app, "chart-plot-app-memory")
        plot = find(app, "chart-plot-app-memory")
        width = plot.size["width"]
        ActionChains(app.driver).move_to_element_with_offset(plot, width // 2 - 24, 0).perform()
        readout = app.wait(
            lambda d: (e := d.find_elements("css selector", '[data-testid="readout-app-memory-0"]')) and e[0].text, 10
        )
        assert re.fullmatch(r"app memory \d+(\.\d+)? (MiB|GiB|KiB)", readout), readout
        assert find(app, "crosshair-app-memory").is_displayed()
        app.screenshot("crosshair")
        # Off the chart (just below it): the crosshair goes.
        ActionChains(app.driver).move_to_element_with_offset(plot, 0, plot.size["height"] // 2 + 12).perform()
        app.wait(lambda d: not d.find_elements("css selector", '[data-testid="crosshair-app-memory"]'), 5)

        # Export PNG through the native save dialog.
        exported = work / "app-memory.png"
        app.click("export-app-memory")
        answer_dialog("Export the chart", exported, "test_metrics-save-dialog")
        app.wait_text("export-path-app-memory", f"Saved to {exported}", 30)
        assert exported.read_bytes()[:4] == b"\x89PNG", exported.read_bytes()[:16]
        shutil.copy(exported, OUTPUT / "test_metrics-exported.png")

        # Longer ranges: drawn again for the new window, redrawn less often.
        current = svg_of(app, "throughput")
        current = pick_range(app, "1h", current)
        no_chart_errors(app)
        app.screenshot("range-1h")
        pick_range(app, "24h", current)
        wait_svg(app, "app-cpu")
        no_chart_errors(app)
        assert app.text("range-live") == "Live: redrawn every 30 s."
        app.screenshot("range-24h")

        # Custom starts from the window shown (the last 24 h), to the minute,
        # and stays put.
        app.click("range-custom")
        start = find(app, "range-from").get_attribute("value")
        end = find(app, "range-to").get_attribute("value")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", start) and start < end, (start, end)
        assert app.text("range-live") == "A fixed window: not redrawn."
        wait_svg(app, "throughput")
        no_chart_errors(app)
        app.screenshot("range-custom")
        print(f"metrics: {len(charts)} fleet charts, moved in 4 s: {moved}; exported {exported.stat().st_size} bytes")
    finally:
        remove_phase_1()
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
