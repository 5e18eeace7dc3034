// Reads the JSON lines run.sh collected (one per process: {label, engine, weights, report})
// and prints the markdown table: one row per model, engine and weights, over all rounds.
//
// node table.mjs results.jsonl

import { readFileSync } from "node:fs";

const lines = readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.trim());
const rows = new Map();
for (const line of lines) {
  const r = JSON.parse(line);
  const key = `${r.label}\u0000${r.engine}\u0000${r.weights}`;
  if (!rows.has(key)) rows.set(key, { ...r, decode: [], prefill: [], cpu: [], prompt: new Set() });
  const row = rows.get(key);
  for (const run of r.report.runs) {
    row.decode.push(run.decodeTokensPerS);
    row.prefill.push((r.report.promptTokens * 1000) / run.prefillMs);
  }
  row.prompt.add(r.report.promptTokens);
  row.newTokens = r.report.newTokens;
  row.cpu.push(r.cpuPercent);
}

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
};
const f = (x) => x.toFixed(1);

console.log("| model | engine | weights | prompt tokens | generated tokens | decode tok/s, median (min–max) | prompt tok/s, median | runs | CPU % |");
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows.values()) {
  console.log(
    `| ${r.label} | ${r.engine} | ${r.weights} | ${[...r.prompt].join(", ")} | ${r.newTokens} | ` +
      `**${f(median(r.decode))}** (${f(Math.min(...r.decode))}–${f(Math.max(...r.decode))}) | ` +
      `${f(median(r.prefill))} | ${r.decode.length} | ${Math.round(median(r.cpu))} |`,
  );
}
