"""Fixtures for end-to-end tests that drive the real app window.

Each test launches the real `sutazai` binary through its own tauri-driver
(WebDriver) process, so each test can give the app its own environment:
data dir, config file, Docker endpoint, Ollama URL.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import urllib3
from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, ElementNotInteractableException
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("SUTAZAI_TEST_OUTPUT", ROOT / "tests" / "output")) / "e2e"
LOGS = OUTPUT.parent / "logs"


def app_binary() -> str:
    explicit = os.environ.get("SUTAZAI_APP")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "debug" / "sutazai")


def workspace_binary(name: str, env_var: str) -> str:
    """A program that `cargo build --workspace` makes: `env_var` when set,
    else `name` next to the app binary, else in the cargo target dir."""
    explicit = os.environ.get(env_var)
    if explicit:
        return explicit
    beside = Path(app_binary()).parent / name
    if beside.exists():
        return str(beside)
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "debug" / name)


def fake_ollama_binary() -> str:
    """The Rust fake Ollama program (tests/src/bin/fake_ollama.rs)."""
    return workspace_binary("fake-ollama", "SUTAZAI_FAKE_OLLAMA")


def headless_binary() -> str:
    """`sutazai-headless` (its `key create` makes API keys in a data dir)."""
    return workspace_binary("sutazai-headless", "SUTAZAI_HEADLESS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remove_phase(phase: int) -> None:
    """Removes a phase's containers, whoever left them: a test deploys it
    from scratch and leaves nothing behind, even when an earlier test failed."""
    subprocess.run(
        ["bash", "-c", f"docker ps -aq --filter label=ai.sutazai.agent.phase={phase} | xargs -r docker rm -f"],
        capture_output=True,
    )


def remove_phase_1() -> None:
    remove_phase(1)


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


# Repaints one transparent pixel every 50 ms for 2 s (see App.screenshot).
REPAINT = """
const dot = document.createElement('div');
dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;background:rgba(0,0,0,0)';
document.body.appendChild(dot);
let n = 0;
const tick = setInterval(() => {
  dot.style.background = n % 2 ? 'rgba(0,0,0,0)' : 'rgba(0,0,1,0)';
  if (++n > 40) { clearInterval(tick); dot.remove(); }
}, 50);
"""


class App:
    """A launched app window and the WebDriver session that drives it."""

    def __init__(self, driver, home: Path, name: str):
        self.driver = driver
        self.home = home
        self.name = name

    def wait(self, condition, timeout: float = 20, message: str = ""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(condition, message)

    def text(self, test_id: str) -> str:
        return self.driver.find_element("css selector", f'[data-testid="{test_id}"]').text

    def wait_text(self, test_id: str, expected: str, timeout: float = 20) -> str:
        """Waits until the element's text equals `expected`; returns it."""

        def check(_):
            try:
                return self.text(test_id) == expected
            except Exception:
                return False

        try:
            self.wait(check, timeout)
        except Exception:
            self.screenshot("timeout")
            raise AssertionError(f"{test_id!r} never read {expected!r}; last: {self.safe_text(test_id)!r}")
        return expected

    def safe_text(self, test_id: str) -> str | None:
        try:
            return self.text(test_id)
        except Exception:
            return None

    def click(self, test_id: str, timeout: float = 20) -> None:
        """Clicks the element once it is there (the page may still be rendering)."""
        selector = f'[data-testid="{test_id}"]'
        try:
            element = self.wait(lambda d: (found := d.find_elements("css selector", selector)) and found[0], timeout)
        except Exception:
            self.screenshot("timeout")
            raise AssertionError(f"{test_id!r} never appeared")
        # In view first: a wide table scrolls inside its own box.
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", element)
        try:
            element.click()
        except ElementClickInterceptedException:
            # An alert's toast lies over it: close the toasts, as a person
            # would, and click again.
            self.close_toasts()
            element.click()
        except ElementNotInteractableException:
            # Seen on the Agents table's Stop button: displayed, enabled and
            # the element a pointer at its centre hits, yet WebKitWebDriver
            # calls it not interactable. Click it in the page then, once the
            # page itself says the pointer would reach it.
            hit = self.driver.execute_script(
                "const r = arguments[0].getBoundingClientRect();"
                "const e = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
                "return e !== null && arguments[0].contains(e) && !arguments[0].disabled;",
                element,
            )
            if not hit:
                self.screenshot("not-interactable")
                raise
            self.driver.execute_script("arguments[0].click()", element)

    def close_toasts(self) -> None:
        for close in self.driver.find_elements("css selector", '[data-testid="toast-close"]'):
            try:
                close.click()
            except Exception:
                pass

    def screenshot(self, label: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{self.name}-{label}.png"
        # WebKitWebDriver takes the screenshot after the page's next paint.
        # Without accelerated compositing (the app's setting where there is
        # no GPU, src-tauri/src/footprint.rs) a page where nothing changes
        # does not paint: a static view's screenshot waited 43 s, or for
        # ever. So the page is made to paint for the next two seconds, by a
        # transparent pixel that changes nothing on screen.
        self.driver.execute_script(REPAINT)
        self.driver.get_screenshot_as_file(str(path))
        return path


def app_environment(home: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The app's environment: its data, config and share dirs under `home`,
    then `env` on top."""
    app_env = dict(os.environ)
    app_env.update(
        {
            "SUTAZAI_DATA_DIR": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "share"),
            "SUTAZAI_LOG": "info",
        }
    )
    app_env.update(env or {})
    return app_env


def start_app(home: Path, env: dict[str, str] | None, name: str) -> tuple[subprocess.Popen, webdriver.Remote]:
    """Starts a tauri-driver of its own and the app through it; returns both.

    A WebDriver session that cannot even be created (tauri-driver drops the
    connection) is retried once with a fresh driver on fresh ports; the
    failed driver's log is kept in tests/output/logs. A second failure
    raises, with nothing left running."""
    app_env = app_environment(home, env)
    for attempt in (1, 2):
        port = free_port()
        driver_log = open(home / "tauri-driver.log", "w")
        server = subprocess.Popen(
            ["tauri-driver", "--port", str(port), "--native-port", str(free_port())],
            env=app_env,
            stdout=driver_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, 15)
            options = ArgOptions()
            options.set_capability("browserName", "wry")
            options.set_capability("tauri:options", {"application": app_binary()})
            # A bounded wait: an app that never opens its window fails the test
            # instead of stalling the run.
            client = ClientConfig(remote_server_addr=f"http://127.0.0.1:{port}", timeout=60)
            driver = webdriver.Remote(command_executor=client.remote_server_addr, options=options, client_config=client)
            return server, driver
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError):
            # Seen on a loaded machine: the session's window took longer
            # than the client's minute to appear.
            stop_driver(server)
            driver_log.close()
            if attempt == 2:
                raise
            kept = LOGS / f"{name}-tauri-driver-failed.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(home / "tauri-driver.log", kept)
            print(f"WebDriver session not created; retrying once (driver log: {kept})")
            wait_until_gone(app_binary(), 10)
        except BaseException:
            stop_driver(server)
            raise
    raise AssertionError("unreachable")


def stop_driver(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()


def stop_app(server: subprocess.Popen, driver: webdriver.Remote | None) -> None:
    """Ends the session (which closes the app) and its tauri-driver. The app
    may still be stopping: see `wait_until_gone`."""
    if driver is not None:
        try:
            driver.quit()
        except Exception:
            pass
    stop_driver(server)


@pytest.fixture
def launch(request):
    """Launches the app with extra environment; returns an App."""
    started = []

    def _launch(env: dict[str, str] | None = None, home: Path | None = None) -> App:
        home = home or Path(tempfile.mkdtemp(prefix="sutazai-e2e-"))
        server, driver = start_app(home, env, request.node.name)
        started.append((server, driver, home))
        return App(driver, home, request.node.name)

    yield _launch
    for server, driver, home in started:
        stop_app(server, driver)
        shutil.rmtree(home, ignore_errors=True)
    # The app is single-instance: while this test's app is still stopping, the
    # next test's app would hand over to it and exit. Wait until it is gone.
    wait_until_gone(app_binary(), 10)


def app_pids(binary: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"^{binary}$"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def wait_until_gone(binary: str, timeout: float) -> None:
    """Waits for every process of `binary` to exit; kills what is left."""
    deadline = time.monotonic() + timeout
    while app_pids(binary) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in app_pids(binary):
        os.kill(pid, 9)


class PrivateDockerd:
    """A dockerd of the test's own that the test may stop, in its own network
    namespace so it never touches the main engine's docker0 (see
    tests/src/dockerd.rs)."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="sdk", dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.log = open(self.root / "dockerd.log", "w")
        self.proc = subprocess.Popen(
            [
                "unshare",
                "--net",
                "dockerd",
                "--host", f"unix://{self.socket}",
                "--data-root", str(self.root / "data"),
                "--exec-root", str(self.root / "exec"),
                "--pidfile", str(self.root / "docker.pid"),
                "--iptables=false", "--ip-masq=false",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self.version():
            if time.monotonic() > deadline:
                raise TimeoutError("private dockerd did not answer within 60 s")
            time.sleep(0.2)

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def version(self) -> str:
        out = subprocess.run(
            ["docker", "--host", self.host, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() if out.returncode == 0 else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def private_dockerd():
    dockerd = PrivateDockerd()
    yield dockerd
    dockerd.stop()
    shutil.rmtree(dockerd.root, ignore_errors=True)


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


def screen(name: str) -> None:
    """The whole X screen as OUTPUT/<name>.png (a native dialog is no part
    of the webview, so the driver's screenshot would miss it)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", str(OUTPUT / f"{name}.png")], check=False)


def answer_dialog(title: str, path: Path, shot: str) -> None:
    """Finds the native (GTK) dialog titled `title`, types `path` into its
    location field (an open dialog) or name field (a save dialog), takes
    the screen as `shot` and presses Enter. Real X input through xdotool:
    WebDriver cannot reach a native dialog."""
    found = subprocess.run(
        ["xdotool", "search", "--sync", "--onlyvisible", "--name", f"^{title}$"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    window = found.stdout.split()[0]
    subprocess.run(["xdotool", "windowfocus", "--sync", window], check=True, timeout=10)
    time.sleep(0.5)  # GTK fills the dialog after it maps
    subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+l", "ctrl+a"], check=True, timeout=10)
    subprocess.run(["xdotool", "type", "--delay", "15", str(path)], check=True, timeout=30)
    time.sleep(0.7)  # GTK checks the typed path as it comes
    screen(shot)
    subprocess.run(["xdotool", "key", "Return"], check=True, timeout=10)
