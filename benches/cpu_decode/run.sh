#!/usr/bin/env bash
# CPU decode speed at batch 1, one thread: Loris (dequantized f32 weights and native quantized
# weights) next to llama.cpp (node-llama-cpp's prebuilt CPU binary), same GGUF file, same prompt
# text, same number of generated tokens. Method and numbers: docs/perf.md, `## CPU decode`.
#
#   bash benches/cpu_decode/run.sh
#
# Each process loads one model on one engine, runs one untimed warm-up generation, then REPS
# timed ones (prefill of the prompt, then NEW_TOKENS greedy decode steps, end-of-sequence tokens
# included, each run from an empty cache). For each model the three engines alternate, ROUNDS
# times, in a rotating order, so that noise from the rest of the machine falls on all of them.
# The processes run at `nice -n -5` when run as root, above niced builds.
#
# Environment: ROUNDS (3), REPS (1), NEW_TOKENS (128), LORIS_BIN (default: build
# `loris-cli` in release into CARGO_TARGET_DIR, else target/), LORIS_FIXTURES (the models,
# from tests/fixtures/fetch.sh), LLAMACPP_PREFIX (where node-llama-cpp is installed,
# ~/.cache/loris-tools/llamacpp), OUT_DIR (raw results; default a new temporary folder).
set -euo pipefail
if [[ "$(id -u)" == 0 && -z "${LORIS_BENCH_OWN_SESSION:-}" ]] && command -v setsid >/dev/null; then
    LORIS_BENCH_OWN_SESSION=1 exec setsid --wait bash "${BASH_SOURCE[0]}" "$@"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/benches/cpu_decode"
FIXTURES="${LORIS_FIXTURES:-$HOME/.cache/loris-fixtures}"
PREFIX="${LLAMACPP_PREFIX:-$HOME/.cache/loris-tools/llamacpp}"
NLC_VERSION=3.22.1
ROUNDS="${ROUNDS:-3}"
REPS="${REPS:-1}"
NEW_TOKENS="${NEW_TOKENS:-128}"
THREADS=1
OUT_DIR="${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/loris-cpu-decode.XXXXXX")}"
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/results.jsonl"
: >"$RESULTS"

# About 64 tokens with either tokenizer; every engine tokenizes it itself.
PROMPT="The history of the printing press begins in the fifteenth century, when Johannes \
Gutenberg combined movable metal type, oil-based ink and a wooden screw press. Within fifty \
years, presses were working in more than two hundred European cities, and the price of books \
fell sharply. Explain, step by step, why this invention changed"

MODELS=(
    "SmolLM2-135M-Instruct Q4_1|$FIXTURES/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    "Gemma-3-270M Q4_K_M|$FIXTURES/models/gemma-3-270m-q4_k_m.gguf"
)

for entry in "${MODELS[@]}"; do
    file="${entry#*|}"
    if [[ ! -f "$file" ]]; then
        echo "missing $file: run tests/fixtures/fetch.sh first" >&2
        exit 1
    fi
done
command -v node >/dev/null || { echo "node (20 or newer) is needed for the llama.cpp side" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

# llama.cpp: node-llama-cpp and its prebuilt binary for this platform, from the npm registry
# only. --ignore-scripts: its postinstall would offer to build llama.cpp from source.
platform_pkg="@node-llama-cpp/$(node -p 'process.platform + "-" + process.arch')"
installed="$(node -p "try { require('$PREFIX/node_modules/node-llama-cpp/package.json').version } catch { '' }")"
if [[ "$installed" != "$NLC_VERSION" || ! -d "$PREFIX/node_modules/$platform_pkg" ]]; then
    echo "installing node-llama-cpp $NLC_VERSION and $platform_pkg into $PREFIX" >&2
    mkdir -p "$PREFIX"
    NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --prefix "$PREFIX" --omit=optional \
        --ignore-scripts --no-audit --no-fund \
        "node-llama-cpp@$NLC_VERSION" "$platform_pkg@$NLC_VERSION" >&2
fi
export LLAMACPP_PREFIX="$PREFIX" NODE_LLAMA_CPP_SKIP_DOWNLOAD=true

# Loris: the release build of the CLI.
if [[ -z "${LORIS_BIN:-}" ]]; then
    target="${CARGO_TARGET_DIR:-$ROOT/target}"
    (cd "$ROOT" && CARGO_TARGET_DIR="$target" nice -n 10 cargo build --release -p loris-cli >&2)
    LORIS_BIN="$target/release/loris"
fi
LORIS_HOME="$(mktemp -d "${TMPDIR:-/tmp}/loris-home.XXXXXX")"
export LORIS_HOME
trap 'rm -rf "$LORIS_HOME"' EXIT

# Priority above niced builds. With the kernel's autogroups on, nice values only order the
# processes of one session, so the benchmark also takes a session of its own (setsid) and
# gives that session's autogroup the same nice value.
PRIO=()
if [[ "$(id -u)" == 0 ]]; then
    PRIO=(nice -n -5)
    if [[ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" == 1 ]]; then
        echo -5 >"/proc/$$/autogroup"
    fi
fi

# One process: prints a JSON line {label, engine, weights, cpuPercent, report} into $RESULTS.
run_one() {
    local label="$1" file="$2" engine="$3" out="$OUT_DIR/last.json" time="$OUT_DIR/last.time"
    local cmd
    case "$engine" in
        loris-f32) cmd=(env RAYON_NUM_THREADS=$THREADS "$LORIS_BIN" --json bench --model "$file"
                        --device cpu --dequantize --prompt-text "$PROMPT"
                        --new-tokens "$NEW_TOKENS" --repetitions "$REPS") ;;
        loris-quant) cmd=(env RAYON_NUM_THREADS=$THREADS "$LORIS_BIN" --json bench --model "$file"
                          --device cpu --prompt-text "$PROMPT"
                          --new-tokens "$NEW_TOKENS" --repetitions "$REPS") ;;
        llama.cpp) cmd=(node "$HERE/llamacpp.mjs" --model "$file" --prompt-text "$PROMPT"
                        --new-tokens "$NEW_TOKENS" --repetitions "$REPS" --threads "$THREADS") ;;
    esac
    if ! "${PRIO[@]}" /usr/bin/time -f "%P" -o "$time" "${cmd[@]}" >"$out" 2>"$OUT_DIR/last.err"; then
        cat "$OUT_DIR/last.err" >&2
        exit 1
    fi
    LABEL="$label" ENGINE="$engine" node -e '
        const fs = require("fs");
        const report = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
        const cpuPercent = parseFloat(fs.readFileSync(process.argv[2], "utf8").trim().split("\n").pop());
        const engine = process.env.ENGINE;
        const weights = engine === "loris-f32" ? "f32 (dequantized)" : `${report.dtype} (native)`;
        const line = { label: process.env.LABEL, engine: engine.startsWith("loris") ? "Loris" : "llama.cpp",
                       weights, cpuPercent, report };
        fs.appendFileSync(process.argv[3], JSON.stringify(line) + "\n");
        const d = report.decodeTokensPerS.median;
        console.error(`  ${line.label} | ${line.engine} | ${weights} | prompt ${report.promptTokens} | ` +
                      `decode ${d.toFixed(1)} tok/s | cpu ${cpuPercent}%`);
    ' "$out" "$time" "$RESULTS"
}

echo "# CPU decode, one thread"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM"
echo "- source tree: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src-tauri || echo '+changes'), $LORIS_BIN"
echo "- llama.cpp: node-llama-cpp $NLC_VERSION, $(node -p "require('$PREFIX/node_modules/node-llama-cpp/llama/binariesGithubRelease.json').release") prebuilt ($platform_pkg), node $(node --version)"
echo "- $THREADS thread, prompt text of ${#PROMPT} characters, $NEW_TOKENS generated tokens, greedy, warm-up + $REPS timed run(s) per process, $ROUNDS rounds; priority: ${PRIO[*]:-default}, autogroup $(cat /proc/$$/autogroup 2>/dev/null || echo none)"
echo "- uptime at start: $(uptime)"
for entry in "${MODELS[@]}"; do
    label="${entry%%|*}" file="${entry#*|}"
    engines=(loris-f32 loris-quant llama.cpp)
    for ((round = 0; round < ROUNDS; round++)); do
        for ((k = 0; k < 3; k++)); do
            run_one "$label" "$file" "${engines[$(((round + k) % 3))]}"
        done
    done
    echo "- uptime after $label: $(uptime)"
done
echo
node "$HERE/table.mjs" "$RESULTS"
echo
echo "raw results: $RESULTS" >&2
