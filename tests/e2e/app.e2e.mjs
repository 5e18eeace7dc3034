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

/** Saves a screenshot once the page had a moment to paint. */
async function shot(name) {
  await new Promise((resolve) => setTimeout(resolve, 400));
  const file = join(outDir, `${name}.png`);
  writeFileSync(file, await session.screenshot());
  return file;
}

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

  // First run: the app creates the admin user and shows its passphrase once; sign in with it,
  // then replace it as the app requires.
  let passphrase = "";
  await check("first-run screen shows the generated passphrase", async () => {
    const username = await session.waitForText('[data-testid="first-run-username"]', (text) => text.length > 0);
    passphrase = await session.waitForText('[data-testid="first-run-passphrase"]', (text) => text.length >= 8);
    await shot("first-run");
    if (username !== "admin") throw new Error(`username is ${username}`);
  });
  await check("sign in with the first-run passphrase", async () => {
    await session.click('[data-testid="first-run-continue"]');
    await session.type('[data-testid="login-username"]', "admin");
    await session.type('[data-testid="login-password"]', passphrase);
    await shot("login");
    await session.click('[data-testid="login-submit"]');
    await session.waitFor('[data-testid="change-old"]');
  });
  await check("change the first-run password", async () => {
    await session.type('[data-testid="change-old"]', passphrase);
    await session.type('[data-testid="change-new"]', "e2e correct horse battery");
    await session.type('[data-testid="change-confirm"]', "e2e correct horse battery");
    await shot("change-password");
    await session.click('[data-testid="change-submit"]');
    await session.waitFor('[data-testid="nav-chat"]');
  });

  for (const page of pages) {
    await check(`page ${page.id} renders`, async () => {
      await session.click(`[data-testid="nav-${page.id}"]`);
      const heading = await session.text(`[data-testid="page-${page.id}"] h1`);
      if (heading !== page.title) throw new Error(`h1 is ${JSON.stringify(heading)}`);
      return shot(`page-${page.id}`);
    });
  }

  await check("settings shows the real data dir from the backend", async () => {
    await session.click('[data-testid="nav-settings"]');
    const expected = process.env.LORIS_HOME;
    const shown = await session.waitForText('[data-testid="about-data-dir"]', (text) => text.length > 0);
    if (expected && shown !== expected) throw new Error(`shows ${shown}, expected ${expected}`);
    const version = await session.text('[data-testid="about-version"]');
    const backend = await session.text('[data-testid="settings-secret-backend"]');
    return `${shown} (version ${version}); secrets: ${backend.replace(/\s+/g, " ")}`;
  });

  await check("settings shows the hardware report: the GPUs, or CPU only with the reason", async () => {
    const panel = await session.waitForText('[data-testid="settings-hardware"]', (text) => /CPU only|VRAM/.test(text));
    const sidebar = await session.text('[data-testid="hardware-status-gpu"]');
    if (panel.includes("CPU only")) {
      const reason = await session.text('[data-testid="hw-cpu-only-reason"]');
      if (!reason.startsWith("CPU only: ")) throw new Error(`reason is ${JSON.stringify(reason)}`);
      if (!sidebar.includes("CPU only")) throw new Error(`sidebar shows ${JSON.stringify(sidebar)}`);
      await shot("settings-hardware");
      return reason;
    }
    const name = await session.text('[data-testid="hw-gpu-0-name"]');
    await shot("settings-hardware");
    return `${name}; sidebar: ${sidebar.replace(/\s+/g, " ")}`;
  });
} finally {
  await session.end();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
