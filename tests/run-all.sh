#!/usr/bin/env bash
# Every test of Loris Studio, from a fresh clone on Debian 12 / Ubuntu: set-up, formatting and
# lints, Rust tests, the LAN API's conformance with the official SDKs, UI unit tests, the .deb
# bundle (installed with dpkg), and the end-to-end run of the installed app under Xvfb with a
# screenshot of every page.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=never NO_COLOR=1
# A persistent target dir outside the clone is reused when present (cold builds take long on 2 cores).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/loris-target}"
# CPU inference tests: one thread; two on two shared cores collapse.
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
T0=$SECONDS
step() { echo "=== [$((SECONDS - T0))s] $*"; }

PIDS=()
cleanup() { for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_port() {
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
  echo "port $1 never opened" >&2
  return 1
}

step "setup"
bash src-tauri/scripts/setup.sh

step "ui: typecheck, lint, unit tests, build"
npm --prefix ui run typecheck
npm --prefix ui run lint
npm --prefix ui test
npm --prefix ui run build

step "rust: fmt and clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust: tests (includes the check that ui/src/bindings.ts matches the commands)"
cargo test --workspace --locked --no-fail-fast

step "api: loris serve with the official Python SDKs (anthropic, openai), 32 concurrent streams"
bash tests/conformance/run.sh

step "rust: the real OS keychain (GNOME Keyring's Secret Service on a private D-Bus session)"
KR=$(mktemp -d)
mkdir -p -m 700 "$KR/run"
XDG_DATA_HOME=$KR/data XDG_RUNTIME_DIR=$KR/run dbus-run-session -- bash -c '
  printf ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  keyctl session - cargo test --workspace --locked --test keyring_real -- --ignored'

step "bundle: .deb, installed with dpkg"
ui/node_modules/.bin/tauri build --bundles deb --ci
DEB=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n 1)
ls -l "$DEB"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO dpkg -i "$DEB"
APP=/usr/bin/loris-studio
test -x "$APP"

step "e2e: the installed app under Xvfb, driven through tauri-driver"
TOOLS="$HOME/.cache/loris-tools"
[ -x "$TOOLS/bin/tauri-driver" ] || cargo install tauri-driver --version '^2' --locked --root "$TOOLS" --quiet
E2E_HOME=$(mktemp -d)
OUT="${E2E_OUT:-$ROOT/tests/e2e/out}"
mkdir -p "$OUT"
Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
PIDS+=($!)
sleep 1
export DISPLAY=:99 LORIS_HOME="$E2E_HOME/loris" XDG_DATA_HOME="$E2E_HOME/data" \
  XDG_CACHE_HOME="$E2E_HOME/cache" XDG_CONFIG_HOME="$E2E_HOME/config"
"$TOOLS/bin/tauri-driver" --port 4444 --native-port 4445 >"$OUT/tauri-driver.log" 2>&1 &
PIDS+=($!)
wait_port 4444
node tests/e2e/app.e2e.mjs "$APP" "$OUT"
ls "$OUT"/*.png

step "all tests passed"
