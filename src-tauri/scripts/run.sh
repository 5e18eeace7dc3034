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
if "$LORIS" help generate >/dev/null 2>&1; then
  exec "$LORIS" generate --chat --dequantize --temperature 0 --model "$STARTER" \
    --prompt "${LORIS_PROMPT:-What is the capital of France?}"
fi
