"""The footprint benchmark (`./.dev/bench footprint`): what the app costs
while it idles with the Overview open, per process and in all, and how
long it takes from launch until the Overview is interactive; each variant
measured in the same run, side by side.

- PSS (proportional set size: shared pages split among their sharers,
  from /proc/<pid>/smaps_rollup) of the app's process and of every process
  it started (WebKit's web and network processes), read every 5 s while
  the window idles: after 30 s (the median of the readings from 30 to 40 s)
  and the highest total from then until `--idle` seconds (180 by default),
  split by process. The goal is checked against the highest: a page that
  grows until its garbage is collected is only as small as its peak.
- CPU while idling: the processes' user and system time from 30 s to the
  end, in % of one core (what the settings cost, e.g. collecting garbage
  more often).
- Launch to interactive: from the app process's start (its start time in
  /proc) until the page's own clock says the Overview has drawn its
  Docker and Ollama cards (polled every 20 ms through WebDriver; the
  figure is the page's `Date.now()` at the first poll that sees them).

Variants (src-tauri/src/footprint.rs), so what the settings buy is
measured in the same run: the reference with WebKit's and the allocator's
own defaults (`SUTAZAI_FOOTPRINT=defaults`); the app as shipped
(transparent huge pages off, the DocumentViewer cache model and, without a
GPU, no accelerated compositing and Skia painting on the CPU); and as
shipped but with compositing on (`WEBKIT_DISABLE_COMPOSITING_MODE=0`).
Docker and Ollama are the machine's, as found. With
`--agents`, all 69 agents are deployed first (by `sutazai-headless` on a
data dir every launch then shares, so each launch adopts and monitors them
as after a restart: health, stats and metrics of 69 containers) and
removed at the end; that needs every agent port free. `--variant
LABEL:NAME=VALUE,...` adds the app as shipped with more environment (to
try a setting), `--only` leaves out all but those and the app as shipped.

    python3 tests/e2e/bench_footprint.py [--rounds N] [--idle S (180)] [--agents]
        [--variant LABEL:NAME=VALUE,...] [--only]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import (
    app_binary,
    app_environment,
    free_port,
    headless_binary,
    remove_phase,
    start_app,
    stop_app,
    wait_for_port,
    wait_until_gone,
)

VARIANTS = [
    ("reference (defaults)", {"SUTAZAI_FOOTPRINT": "defaults"}),
    ("shipped, compositing on", {"WEBKIT_DISABLE_COMPOSITING_MODE": "0"}),
    ("as shipped", {}),
]
GOAL_PSS_MB = 250
GOAL_INTERACTIVE_S = 1.5
# The first reading, in seconds after the Overview is interactive, and how
# often the process tree is read from then on.
FIRST_READING_S = 30
READ_EVERY_S = 5


def children(pid: int) -> list[int]:
    """Every process started by `pid`, and by those, recursively."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def name_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def cpu_seconds(pid: int) -> float:
    """User and system time `pid` has used."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def started_epoch(pid: int) -> float:
    """When `pid` started, in seconds since the Unix epoch."""
    ticks = os.sysconf("SC_CLK_TCK")
    start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - uptime + start / ticks


def app_pid() -> int:
    binary = app_binary()
    for _ in range(100):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.readlink(entry / "exe") == binary:
                        return int(entry.name)
                except OSError:
                    continue
        time.sleep(0.05)
    raise RuntimeError(f"no process of {binary}")


INTERACTIVE = """
const docker = document.querySelector('[data-testid="docker-card"]');
const ollama = document.querySelector('[data-testid="ollama-card"]');
const title = document.querySelector('[data-testid="view-title"]');
return (docker && ollama && title && title.textContent === 'Overview') ? Date.now() : null;
"""


class Fleet:
    """All 69 agents, deployed by `sutazai-headless` on a data dir that the
    app's launches then share (`data_dir`): each launch adopts the running
    containers with their service tokens in force, as after a restart."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="sutazai-footprint-fleet-"))
        self.data_dir = self.home / "data"

    def deploy(self) -> None:
        self.remove()
        port = free_port()
        env = app_environment(self.home, {"SUTAZAI_API_LISTEN": f"127.0.0.1:{port}"})
        started = time.monotonic()
        # The engine serves only for the deploy: the app monitors the fleet.
        server = subprocess.Popen([headless_binary(), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, 30)
            deploy = [headless_binary(), "--url", f"http://127.0.0.1:{port}", "deploy", "all", "--keep"]
            subprocess.run(deploy, env=env, check=True, stdout=subprocess.DEVNULL)
        finally:
            server.terminate()
            server.wait(30)
        running = subprocess.run(
            ["docker", "ps", "-q", "--filter", "label=ai.sutazai.app=sutazai-control-center"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if len(running) != 69:
            raise RuntimeError(f"{len(running)} agents run after deploying all 69")
        print(f"deployed 69 agents in {time.monotonic() - started:.0f} s")

    def remove(self) -> None:
        for phase in (1, 2, 3):
            remove_phase(phase)


def variant(text: str) -> tuple[str, dict[str, str]]:
    """`LABEL:NAME=VALUE,NAME=VALUE` as a variant's label and environment."""
    label, _, assignments = text.partition(":")
    env = {}
    for assignment in filter(None, assignments.split(",")):
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise SystemExit(f"--variant {text!r}: {assignment!r} is not NAME=VALUE")
        env[name] = value
    return label[:23], env


def tree_pss_kib(pid: int) -> dict[str, int]:
    """PSS of the app (`app`) and of the processes it started, by name."""
    sums = {"app": pss_kib(pid)}
    for child in children(pid):
        name = name_of(child)
        sums[name] = sums.get(name, 0) + pss_kib(child)
    return sums


def tree_cpu_seconds(pid: int) -> float:
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children(pid))


def measure(env: dict[str, str], idle: float) -> dict:
    home = Path(tempfile.mkdtemp(prefix="sutazai-footprint-"))
    server, driver = start_app(home, env, "footprint")
    try:
        pid = app_pid()
        born = started_epoch(pid)
        drawn = None
        deadline = time.monotonic() + 60
        while drawn is None and time.monotonic() < deadline:
            drawn = driver.execute_script(INTERACTIVE)
            if drawn is None:
                time.sleep(0.02)
        if drawn is None:
            raise RuntimeError("the Overview did not draw its cards within 60 s")
        interactive = drawn / 1000 - born
        first = time.monotonic()
        readings: list[tuple[float, dict[str, int]]] = []
        cpu_from = None
        while True:
            at = time.monotonic() - first
            if at >= FIRST_READING_S:
                if cpu_from is None:
                    cpu_from = (at, tree_cpu_seconds(pid))
                readings.append((at, tree_pss_kib(pid)))
            if at >= max(idle, FIRST_READING_S + 10):
                break
            time.sleep(READ_EVERY_S)
        cpu = 100 * (tree_cpu_seconds(pid) - cpu_from[1]) / (at - cpu_from[0])
        early = [procs for read_at, procs in readings if read_at <= FIRST_READING_S + 10]
        peak = max((procs for _, procs in readings), key=lambda procs: sum(procs.values()))
        return {
            "interactive": interactive,
            "per": {label: kib / 1024 for label, kib in peak.items() if kib > 0},
            "early": statistics.median(sum(procs.values()) for procs in early) / 1024,
            "total": sum(peak.values()) / 1024,
            "cpu": cpu,
        }
    finally:
        stop_app(server, driver)
        wait_until_gone(app_binary(), 20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--idle", type=float, default=180, help="seconds of idling read (at least 40)")
    parser.add_argument("--agents", action="store_true", help="with all 69 agents deployed and monitored")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:NAME=VALUE,...",
        help="one more variant: the app as shipped with these environment variables (repeatable)",
    )
    parser.add_argument("--only", action="store_true", help="measure only the --variant ones and the app as shipped")
    args = parser.parse_args()
    variants = [v for v in VARIANTS if not args.only or not v[1]] + [variant(text) for text in args.variant]
    labels = [name for name, _ in variants]
    if len(set(labels)) != len(labels):
        # The results are kept by label: two alike would be one column.
        raise SystemExit(f"--variant: labels must differ in their first 23 characters: {labels}")
    fleet = Fleet() if args.agents else None
    shared = {"SUTAZAI_DATA_DIR": str(fleet.data_dir)} if fleet else {}
    results: dict[str, list[dict]] = {name: [] for name, _ in variants}
    try:
        if fleet:
            fleet.deploy()
        for _ in range(args.rounds):
            # Interleaved, so a busy moment of the machine hits all alike.
            for name, env in variants:
                results[name].append(measure({**env, **shared}, args.idle))
    finally:
        if fleet:
            fleet.remove()
    monitored = "69 agents monitored" if fleet else "no agents"
    print(
        f"\nfootprint idling on the Overview, {monitored}: PSS in MB, the highest reading from"
        f" {FIRST_READING_S} to {args.idle:.0f} s split by process; median of rounds: {args.rounds}"
    )
    labels = sorted({label for runs in results.values() for run in runs for label in run["per"]})
    header = f"{'':30}" + "".join(f"{name:>24}" for name, _ in variants)
    print(header)
    for label in labels:
        row = f"{label:30}"
        for name, _ in variants:
            values = [run["per"].get(label, 0) for run in results[name]]
            row += f"{statistics.median(values):>24.1f}"
        print(row)
    for key, title, form in [
        ("total", f"total, highest (goal <= {GOAL_PSS_MB})", ".1f"),
        ("early", f"total after {FIRST_READING_S} s", ".1f"),
        ("cpu", "CPU idling, % of a core", ".1f"),
    ]:
        row = f"{title:30}"
        for name, _ in variants:
            row += f"{statistics.median(run[key] for run in results[name]):>24{form}}"
        print(row)
    row = f"{'launch to interactive, s':30}"
    for name, _ in variants:
        row += f"{statistics.median(run['interactive'] for run in results[name]):>24.2f}"
    print(row + f"   (goal <= {GOAL_INTERACTIVE_S})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
