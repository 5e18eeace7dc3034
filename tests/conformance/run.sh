#!/usr/bin/env bash
# Conformance of `loris serve` with the official Python SDKs (pinned in requirements*.txt,
# installed into virtual environments under ~/.cache/loris-conformance): the starter model
# behind an API key, checked with the latest anthropic and openai SDKs, the last 0.x anthropic
# SDK, and 32 concurrent streaming clients. Needs python3-venv (src-tauri/scripts/setup.sh)
# and the fixtures (tests/fixtures/fetch.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/loris-target}"
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
VENVS="${LORIS_CONFORMANCE_VENVS:-$HOME/.cache/loris-conformance}"
STARTER="${LORIS_FIXTURES:-$HOME/.cache/loris-fixtures}/models/SmolLM2-135M-Instruct.Q4_1.gguf"

# One virtual environment per requirements file, reinstalled when the file changes.
venv() {
  local name=$1 requirements=$2
  local dir="$VENVS/$name"
  if [ ! -x "$dir/bin/python" ] || ! cmp -s "$requirements" "$dir/requirements.txt"; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$dir/requirements.txt"
  fi
  echo "$dir/bin/python"
}
PY_LATEST=$(venv latest tests/conformance/requirements.txt)
PY_ANTHROPIC0=$(venv anthropic0 tests/conformance/requirements-anthropic0.txt)

cargo build --locked --quiet -p loris-cli
LORIS="$CARGO_TARGET_DIR/debug/loris"

HOME_DIR=$(mktemp -d)
SERVER_LOG="$HOME_DIR/serve.log"
PORT=$("$PY_LATEST" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LORIS_URL="http://127.0.0.1:$PORT" LORIS_MODEL=smollm2
LORIS_KEY="conformance-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export LORIS_KEY

LORIS_HOME="$HOME_DIR/loris" LORIS_API_KEY="$LORIS_KEY" "$LORIS" serve --model "$STARTER" --model-id smollm2 --dequantize \
  --threads 1 --port "$PORT" >"$SERVER_LOG" 2>&1 &
SERVER=$!
stop_server() { kill "$SERVER" 2>/dev/null || true; }
trap stop_server EXIT

# Ready when /health answers (loading takes a few seconds).
"$PY_LATEST" - <<'PY' || { cat "$SERVER_LOG"; exit 1; }
import os, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(os.environ["LORIS_URL"] + "/health", timeout=2)
        break
    except OSError:
        time.sleep(0.2)
else:
    raise SystemExit("loris serve never answered /health")
PY
cat "$SERVER_LOG"

"$PY_LATEST" tests/conformance/conformance.py anthropic openai load
"$PY_ANTHROPIC0" tests/conformance/conformance.py anthropic

# SIGTERM stops the server gracefully: it exits 0.
kill -TERM "$SERVER"
wait "$SERVER"
trap - EXIT
echo "conformance: all SDK checks passed"
