# Shared by .dev/launch and .dev/test: install what is missing, idempotently.
# Sourced, not run. Debian/Ubuntu; root or sudo for the system packages.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/sutazai/target}
export PATH="$HOME/.cargo/bin:$PATH"

# System packages the app needs to build and run.
# libayatana-appindicator3-1: the tray icon with the count of open alerts
# (loaded when the app starts; without it the app runs with no tray icon).
BUILD_PACKAGES=(build-essential pkg-config libwebkit2gtk-4.1-dev libayatana-appindicator3-1)
# System packages the tests need: a Docker engine, a virtual display with a
# notification daemon, WebKit's WebDriver, screenshots, xdotool (types into the
# native file dialogs), Prometheus and promtool (scrape `/metrics`).
TEST_PACKAGES=(docker.io iproute2 xvfb xauth dbus-daemon dbus-x11 dunst webkit2gtk-driver imagemagick x11-utils xdotool prometheus)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "cannot install: ${missing[*]}"
}

ensure_toolchains() {
  command -v cargo >/dev/null || die "Rust is missing: install it from https://rustup.rs (1.90 or newer), then run this again"
  command -v node >/dev/null || ensure_packages nodejs npm
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is needed (found $(node --version))"
  rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy >/dev/null 2>&1 || true
}

ensure_node_modules() {
  local stamp="$ROOT/ui/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/ui/package-lock.json" -nt "$stamp" ]; then
    say "installing the UI's npm packages"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in ui/"
  fi
}

ensure_test_tools() {
  command -v tauri-driver >/dev/null || { say "installing tauri-driver"; cargo install tauri-driver --locked --quiet || die "cannot install tauri-driver"; }
  if ! python3 -c 'import selenium, pytest' 2>/dev/null; then
    say "installing selenium and pytest"
    python3 -m pip install -q selenium pytest 2>/dev/null ||
      python3 -m pip install -q --break-system-packages selenium pytest 2>/dev/null ||
      ensure_packages python3-selenium python3-pytest
    python3 -c 'import selenium, pytest' 2>/dev/null || die "cannot install selenium and pytest"
  fi
}

# The agent runtime: one static binary (glibc, +crt-static) that runs in a
# FROM-scratch image. --target keeps the static flag off build scripts.
AGENT_TARGET=x86_64-unknown-linux-gnu
export SUTAZAI_AGENT_BIN="$CARGO_TARGET_DIR/$AGENT_TARGET/agent/sutazai-agent"
build_agent() {
  RUSTFLAGS="-C target-feature=+crt-static" cargo build -p sutazai-agent --profile agent --target "$AGENT_TARGET" --locked
}

build_ui() {
  (cd "$ROOT/ui" && npm run --silent build)
}

# Starts Debian's dockerd when no Docker engine answers; stop_docker stops
# only what this started. `ensure_docker LOG new` (the test command) starts
# a new engine every time: a data root of its own (removed afterwards) and
# no docker0 left by an earlier engine, as on a machine that never ran
# Docker. A long-lived engine hides what a new user's lacks (a new
# engine's bridge network lists no Gateway; that once failed three tests on
# every new machine while CI passed). Without `new` (launch) it keeps
# Docker's own data root, so deployed agents outlive the app.
STARTED_DOCKERD="" DOCKER_DATA_ROOT=""
ensure_docker() {
  if docker info >/dev/null 2>&1; then
    say "using the Docker engine that already runs (not a new one: $(docker info --format '{{.DockerRootDir}}' 2>/dev/null))"
    return 0
  fi
  [ -n "${DOCKER_HOST:-}" ] && die "DOCKER_HOST=$DOCKER_HOST does not answer"
  local log=${1:-/tmp/sutazai-dockerd.log} args=(--host unix:///var/run/docker.sock)
  if [ "${2:-}" = new ]; then
    DOCKER_DATA_ROOT=$(mktemp -d /var/tmp/sutazai-docker.XXXXXX)
    args+=(--data-root "$DOCKER_DATA_ROOT")
    # A bridge an earlier engine left keeps its address; a new machine has none.
    if ip link show docker0 >/dev/null 2>&1; then as_root ip link delete docker0 || true; fi
    say "no Docker engine answers: starting a new dockerd (data root $DOCKER_DATA_ROOT)"
  else
    say "no Docker engine answers: starting dockerd"
  fi
  # Not through as_root: `$!` of a backgrounded function is the subshell
  # running it, and a TERM to that never reached dockerd.
  local runner=()
  [ "$(id -u)" -eq 0 ] || runner=(sudo)
  "${runner[@]}" dockerd "${args[@]}" >"$log" 2>&1 &
  STARTED_DOCKERD=$!
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "dockerd did not answer within 60 s; see $log"
}

stop_docker() {
  [ -n "$STARTED_DOCKERD" ] || return 0
  say "stopping the dockerd this run started"
  as_root kill -TERM "$STARTED_DOCKERD" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$STARTED_DOCKERD" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$STARTED_DOCKERD" 2>/dev/null; then
    say "dockerd did not stop within 30 s: killing it"
    as_root kill -KILL "$STARTED_DOCKERD" 2>/dev/null || true
    sleep 1
  fi
  if [ -n "$DOCKER_DATA_ROOT" ]; then
    # Whatever dockerd left mounted under its root first, then the root.
    grep -o " $DOCKER_DATA_ROOT[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    as_root rm -rf "$DOCKER_DATA_ROOT" 2>/dev/null || true
  fi
}
