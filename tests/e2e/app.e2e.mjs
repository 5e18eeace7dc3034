// End-to-end: the real Loris Studio window under Xvfb, driven through tauri-driver.
// Usage: node tests/e2e/app.e2e.mjs /abs/path/to/loris-studio OUT_DIR
// Expects tauri-driver on WD_URL (default http://127.0.0.1:4444) and LORIS_HOME set for the app.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { Session } from "./webdriver.mjs";

const [application, outDir = "tests/e2e/out"] = process.argv.slice(2);
if (!application) {
  console.error("usage: node tests/e2e/app.e2e.mjs APP_BINARY [OUT_DIR]");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const base = process.env.WD_URL ?? "http://127.0.0.1:4444";
const pages = [
  { id: "chat", title: "Chat" },
  { id: "models", title: "Models" },
  { id: "train", title: "Train" },
  { id: "recipes", title: "Recipes" },
  { id: "settings", title: "Settings" },
];

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    const detail = await body();
    passed++;
    console.log(`ok - ${name}${detail ? `: ${detail}` : ""}`);
  } catch (error) {
    failed++;
    console.log(`FAIL - ${name}: ${error.message}`);
  }
}

const session = await Session.start(base, application);
try {
  await check("window title", async () => {
    const title = await session.call("GET", "/title");
    if (title !== "Loris Studio") throw new Error(`title is ${JSON.stringify(title)}`);
  });

  for (const page of pages) {
    await check(`page ${page.id} renders`, async () => {
      await session.click(`[data-testid="nav-${page.id}"]`);
      const heading = await session.text(`[data-testid="page-${page.id}"] h1`);
      if (heading !== page.title) throw new Error(`h1 is ${JSON.stringify(heading)}`);
      // Let fonts and data settle before the picture.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const file = join(outDir, `page-${page.id}.png`);
      writeFileSync(file, await session.screenshot());
      return file;
    });
  }

  await check("settings shows the real data dir from the backend", async () => {
    await session.click('[data-testid="nav-settings"]');
    const expected = process.env.LORIS_HOME;
    const shown = await session.waitForText('[data-testid="about-data-dir"]', (text) => text.length > 0);
    if (expected && shown !== expected) throw new Error(`shows ${shown}, expected ${expected}`);
    const version = await session.text('[data-testid="about-version"]');
    return `${shown} (version ${version})`;
  });
} finally {
  await session.end();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
