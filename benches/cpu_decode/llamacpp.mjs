// The llama.cpp side of benches/cpu_decode: decode speed at batch 1 through node-llama-cpp's
// prebuilt CPU binary, measured as `loris bench` measures it.
//
// One prefill of the prompt text (tokenized by llama.cpp, BOS prepended when the model asks for
// it), then --new-tokens tokens decoded greedily one at a time, end-of-generation tokens
// included (so every run decodes exactly that many). One untimed warm-up run, then
// --repetitions timed runs, each from an empty cache. Decode tokens/s is new tokens / time of
// the new-token steps; the first token, sampled from the prefill's logits, belongs to prefill.
//
// node llamacpp.mjs --model F.gguf --prompt-text TEXT [--new-tokens 128] [--repetitions 1]
//                   [--threads 1]
// Prints one JSON object on stdout (the fields of `loris --json bench` that the table uses).
// LLAMACPP_PREFIX: the npm prefix holding node-llama-cpp (default ~/.cache/loris-tools/llamacpp).

import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    "prompt-text": { type: "string" },
    "new-tokens": { type: "string", default: "128" },
    repetitions: { type: "string", default: "1" },
    threads: { type: "string", default: "1" },
  },
});
if (!args.model || !args["prompt-text"]) {
  console.error("usage: llamacpp.mjs --model F.gguf --prompt-text TEXT [--new-tokens N] [--repetitions R] [--threads T]");
  process.exit(2);
}
const newTokens = Number(args["new-tokens"]);
const repetitions = Number(args.repetitions);
const threads = Number(args.threads);

const prefix = process.env.LLAMACPP_PREFIX ?? join(homedir(), ".cache/loris-tools/llamacpp");
const { getLlama, LlamaLogLevel } = await import(
  pathToFileURL(join(prefix, "node_modules/node-llama-cpp/dist/index.js")).href
);

const started = performance.now();
// The prebuilt CPU binary only: never build, never download, no GPU.
const llama = await getLlama({
  gpu: false,
  build: "never",
  usePrebuiltBinaries: true,
  skipDownload: true,
  progressLogs: false,
  logLevel: LlamaLogLevel.error,
  maxThreads: threads,
});
const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
let prompt = model.tokenize(args["prompt-text"]);
const bos = model.tokens.bos;
if (model.tokens.shouldPrependBosToken && bos != null && prompt[0] !== bos) {
  prompt = [bos, ...prompt];
}
const context = await model.createContext({
  contextSize: 512,
  batchSize: 512,
  sequences: 1,
  threads,
});
if (prompt.length + newTokens + 1 > context.contextSize) {
  throw new Error(`${prompt.length} + ${newTokens} tokens pass the context of ${context.contextSize}`);
}
const sequence = context.getSequence();
const loadMs = performance.now() - started;

async function oneRun() {
  await sequence.clearHistory();
  const start = performance.now();
  let firstAt = 0;
  const tokens = [];
  for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
    tokens.push(token);
    if (tokens.length === 1) firstAt = performance.now();
    if (tokens.length === newTokens + 1) break;
  }
  const end = performance.now();
  if (tokens.length !== newTokens + 1) {
    throw new Error(`generation stopped after ${tokens.length} tokens`);
  }
  const prefillMs = firstAt - start;
  const decodeMs = end - firstAt;
  return { prefillMs, decodeMs, decodeTokensPerS: (newTokens * 1000) / decodeMs, tokens };
}

// GGUF's general.file_type, as llama.cpp names the common ones.
function fileType(t) {
  const names = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 32: "BF16",
  };
  return names[t] ?? `file_type ${t}`;
}

function summary(values) {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const median = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return { median, min: v[0], max: v[n - 1] };
}

await oneRun(); // warm-up, the same shapes as the timed runs
const runs = [];
for (let i = 0; i < repetitions; i++) runs.push(await oneRun());
const text = model.detokenize(runs[0].tokens.slice(0, 24));

console.log(
  JSON.stringify({
    engine: "llama.cpp",
    model: args.model,
    device: "cpu",
    dtype: fileType(model.fileInfo?.metadata?.general?.file_type),
    llamaCpp: `${llama.llamaCppRelease.release} (node-llama-cpp ${llama.buildType}, ${llama.gpu === false ? "cpu" : llama.gpu})`,
    threads: context.currentThreads,
    promptTokens: prompt.length,
    newTokens,
    loadMs,
    decodeTokensPerS: summary(runs.map((r) => r.decodeTokensPerS)),
    prefillTokensPerS: summary(runs.map((r) => (prompt.length * 1000) / r.prefillMs)),
    runs: runs.map(({ prefillMs, decodeMs, decodeTokensPerS }) => ({ prefillMs, decodeMs, decodeTokensPerS })),
    firstTokens: text,
  }),
);
await context.dispose();
await model.dispose();
await llama.dispose();
