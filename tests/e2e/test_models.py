"""The Models view as a person uses it: read Ollama's version and installed
models with the agents that prefer each, see unserved agents, pull a model
with live progress, cancel one, see a failed pull's reason, delete a model;
start an installed Ollama when it is down.

Ollama cannot run here, so the tests run the Rust fake (`fake-ollama serve`,
tests/src/bin/fake_ollama.rs, which follows Ollama's published API) and
point the app at it with SUTAZAI_OLLAMA_URL. "Start Ollama" finds the same
program installed as `ollama` on the app's PATH.
"""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

from conftest import (
    app_binary,
    app_pids,
    closed_port_url,
    fake_ollama_binary,
    free_port,
    headless_binary,
    wait_until_gone,
)
from test_tasks import find, retype

TINY = "tinyllama:latest"


class FakeOllama:
    """The Rust fake (`fake-ollama serve`) in its own process, with its
    control listener for how pulls go."""

    def __init__(self, models: str = f"{TINY}=637000000"):
        port, self.control = free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [fake_ollama_binary(), "serve"],
            env={
                **os.environ,
                "OLLAMA_HOST": f"127.0.0.1:{port}",
                "FAKE_OLLAMA_MODELS": models,
                "FAKE_OLLAMA_CONTROL": f"127.0.0.1:{self.control}",
            },
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        assert line.startswith("listening on http://"), f"fake-ollama did not start: {line!r}"

    def set_pull(self, steps: int, step_delay_ms: int, fail_after: int | None = None) -> None:
        body = json.dumps({"steps": steps, "step_delay_ms": step_delay_ms, "fail_after": fail_after}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.control}/pull", data=body, method="PUT", headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=5).read()

    def models(self) -> list[str]:
        with urllib.request.urlopen(f"{self.url}/api/tags", timeout=5) as answer:
            return [m["name"] for m in json.load(answer)["models"]]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(5)


def open_models(app) -> None:
    app.click("nav-models")
    app.wait(lambda d: d.find_elements("css selector", '[data-testid="models-view"]'), 20)


def test_models_pull_cancel_fail_and_delete(launch):
    fake = FakeOllama()
    try:
        app = launch({"SUTAZAI_OLLAMA_URL": fake.url})
        open_models(app)
        app.wait(lambda d: "0.12.6" in find(app, "ollama-status").text, 20)
        app.wait(lambda d: d.find_elements("css selector", f'[data-testid="model-row-{TINY}"]'), 20)
        # The shipped catalog's agents whose models are both missing are flagged.
        assert find(app, "unserved-agents").text
        app.screenshot("models")

        # A bad name is refused before anything is sent.
        retype(find(app, "pull-name"), "bad name")
        assert not find(app, "pull-start").is_enabled()

        # A pull shows live progress and the model appears when it ends.
        fake.set_pull(steps=20, step_delay_ms=150)
        retype(find(app, "pull-name"), "qwen2.5:0.5b")
        app.click("pull-start")
        app.wait(lambda d: "%" in find(app, "pull-progress").text, 20)
        app.screenshot("pull-progress")
        app.wait(lambda d: d.find_elements("css selector", '[data-testid="model-row-qwen2.5:0.5b"]'), 60)
        assert not app.driver.find_elements("css selector", '[data-testid="pull-progress"]')

        # A cancelled pull leaves no progress and no error.
        fake.set_pull(steps=20, step_delay_ms=1000)
        retype(find(app, "pull-name"), "phi3:mini")
        app.click("pull-start")
        app.click("pull-cancel")
        app.wait(lambda d: not d.find_elements("css selector", '[data-testid="pull-progress"]'), 20)
        assert not app.driver.find_elements("css selector", '[data-testid="pull-error"]')
        assert not app.driver.find_elements("css selector", '[data-testid="model-row-phi3:mini"]')

        # A failed pull says why (the fake ends the stream with an error line).
        fake.set_pull(steps=4, step_delay_ms=50, fail_after=3)
        retype(find(app, "pull-name"), "missing:1b")
        app.click("pull-start")
        app.wait(lambda d: "injected pull failure" in find(app, "pull-error").text, 20)
        assert not app.driver.find_elements("css selector", '[data-testid="pull-progress"]')

        # Delete asks first.
        app.click(f"model-delete-{TINY}")
        app.click(f"model-delete-confirm-{TINY}")
        app.wait(lambda d: not d.find_elements("css selector", f'[data-testid="model-row-{TINY}"]'), 20)
        assert TINY not in fake.models()
    finally:
        fake.stop()


def test_models_say_when_ollama_is_down_and_retry(launch):
    url = closed_port_url()
    app = launch({"SUTAZAI_OLLAMA_URL": url})
    open_models(app)
    app.wait(lambda d: "is Ollama running?" in find(app, "ollama-status").text, 30)
    app.click("models-retry")
    app.wait(lambda d: "is Ollama running?" in find(app, "ollama-status").text, 30)
    if shutil.which("ollama") is None:
        # No program to start: the view says how to get one instead.
        assert "ollama.com/download" in find(app, "ollama-not-installed").text
        app.screenshot("not-installed")
        assert not app.driver.find_elements("css selector", '[data-testid="ollama-start"]')


def serving(program: str) -> list[int]:
    """The pids of `program serve` processes."""
    out = subprocess.run(["pgrep", "-f", f"^{program} serve$"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_models_start_ollama_when_down(launch, tmp_path):
    fake = fake_ollama_binary()
    assert os.access(fake, os.X_OK), f"build the fake first (cargo build --workspace): {fake}"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    program = bindir / "ollama"
    program.symlink_to(fake)
    url = closed_port_url()
    app = launch(
        {
            "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
            "SUTAZAI_OLLAMA_URL": url,
            # Read by the fake, which inherits the app's environment.
            "FAKE_OLLAMA_MODELS": f"{TINY}=637000000",
        }
    )
    open_models(app)
    app.wait(lambda d: "is Ollama running?" in find(app, "ollama-status").text, 30)
    assert find(app, "ollama-start").text == "Start Ollama"
    assert not app.driver.find_elements("css selector", '[data-testid="ollama-not-installed"]')
    app.screenshot("down")

    app.click("ollama-start")
    app.screenshot("starting")
    # It serves where the app looks (OLLAMA_HOST from SUTAZAI_OLLAMA_URL).
    app.wait(lambda d: "0.12.6" in find(app, "ollama-status").text, 30)
    app.wait(lambda d: d.find_elements("css selector", f'[data-testid="model-row-{TINY}"]'), 20)
    assert not app.driver.find_elements("css selector", '[data-testid="ollama-start"]')
    assert not app.driver.find_elements("css selector", '[data-testid="ollama-start-error"]')
    assert len(serving(str(program))) == 1
    app.screenshot("started")

    # The app's log has the child's output under target `ollama`.
    logs = app.home / "data" / "logs"
    app.wait(lambda d: any("listening on http://" in f.read_text() for f in logs.glob("sutazai.log*")), 10)

    # Quitting the app (SIGTERM takes the normal exit path, as the window's
    # close does) stops the Ollama it started.
    pids = app_pids(app_binary())
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGTERM)
    wait_until_gone(app_binary(), 15)
    deadline = time.monotonic() + 10
    while serving(str(program)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = serving(str(program))
    for pid in left:
        os.kill(pid, 9)
    if left:
        tail = "".join(f.read_text() for f in logs.glob("sutazai.log*")).splitlines()[-15:]
        raise AssertionError(f"ollama serve outlived the app: {left}; the log ends:\n" + "\n".join(tail))


def test_models_gateway_statistics(launch, tmp_path):
    """Calls through the app's LLM gateway show up in the Models view, per
    model and per caller."""
    fake = FakeOllama()
    try:
        api_port = free_port()
        home = tmp_path / "home"
        home.mkdir()
        app = launch(
            {"SUTAZAI_OLLAMA_URL": fake.url, "SUTAZAI_API_LISTEN": f"127.0.0.1:{api_port}"},
            home=home,
        )
        open_models(app)
        app.wait(lambda d: "No LLM calls yet" in find(app, "gateway-stats").text, 30)

        # An admin key (made in the app's data dir) may call the gateway.
        key = subprocess.run(
            [headless_binary(), "key", "create", "e2e", "--role", "admin"],
            env={**os.environ, "SUTAZAI_DATA_DIR": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for prompt in ("hello", "hello", "how are you"):
            body = json.dumps({"model": TINY, "prompt": prompt, "stream": False, "options": {"temperature": 0}})
            request = urllib.request.Request(
                f"http://127.0.0.1:{api_port}/api/generate",
                data=body.encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert json.loads(answer.read())["done"] is True

        # Refreshed while shown: three calls, one answered from the cache.
        row = f"gateway-row-{TINY}"
        app.wait(lambda d: d.find_elements("css selector", f'[data-testid="{row}"]'), 20)
        cells = [td.text for td in find(app, row).find_elements("css selector", "td")]
        assert cells[0] == TINY and cells[1] == "3", cells
        assert cells[5] == "33%", cells
        app.screenshot("per-model")
        app.click("gateway-by-caller")
        cells = [td.text for td in find(app, "gateway-row-key:e2e").find_elements("css selector", "td")]
        assert cells[:2] == ["key:e2e", "3"], cells
        app.screenshot("per-agent")
    finally:
        fake.stop()
