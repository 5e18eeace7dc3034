#!/usr/bin/env bash
# Sets up, builds and starts Loris Studio: the desktop window when there is a display, else the
# headless `loris` front door with the starter model.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash src-tauri/scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/loris-target}"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "=== run: building and starting the desktop app"
  npm --prefix ui run build
  cargo build --release --locked -p loris-studio --features tauri/custom-protocol
  exec "$CARGO_TARGET_DIR/release/loris-studio"
fi

echo "=== run: no display found, so starting the headless front door instead of the window"
cargo build --release --locked -p loris-cli
LORIS="$CARGO_TARGET_DIR/release/loris"
"$LORIS" info
STARTER="${LORIS_FIXTURES:-$HOME/.cache/loris-fixtures}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
PORT="${LORIS_PORT:-8139}"
# `loris serve` prints its URL and a curl example; LORIS_PORT picks another port.
echo "=== run: the LAN API (OpenAI and Anthropic compatible) with the starter model"
exec "$LORIS" serve --model "$STARTER" --model-id starter --dequantize --port "$PORT"
