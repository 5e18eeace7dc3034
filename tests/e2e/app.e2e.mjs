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
      // textContent, not the rendered text: WebKit's driver reads a heading that CSS may cut
      // with an ellipsis (the chat's thread title) as empty.
      const h1 = await session.waitFor(`[data-testid="page-${page.id}"] h1`);
      const heading = (await session.call("GET", `/element/${h1}/property/textContent`)).trim();
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

  // Chat with the starter model (dequantized, greedy): the reference answer streams in.
  await check("chat: load the starter model", async () => {
    await session.click('[data-testid="nav-chat"]');
    await session.click('[data-testid="chat-load-local"]');
    await session.waitFor('[data-testid="chat-model-picker"]', 120000);
  });
  await check("chat: greedy answer streams in and says Paris", async () => {
    await session.click('[data-testid="chat-new-thread"]');
    await session.click('[data-testid="chat-settings-toggle"]');
    await session.type('[data-testid="setting-temperature"]', "0");
    await session.click('[data-testid="settings-save"]');
    await session.type('[data-testid="chat-composer"]', "What is the capital of France?");
    await session.click('[data-testid="chat-send"]');
    const answer = await session.waitForText('[data-testid="message-assistant"]', (text) => text.includes("Paris."), 120000);
    await shot("chat-light");
    // The theme switch lives in Settings; the chat keeps its thread when we come back.
    await session.click('[data-testid="nav-settings"]');
    await session.click('[data-testid="theme-dark"]');
    await session.click('[data-testid="nav-chat"]');
    await session.waitForText('[data-testid="chat-messages"]', (text) => text.includes("Paris."));
    await shot("chat-dark");
    await session.click('[data-testid="nav-settings"]');
    await session.click('[data-testid="theme-light"]');
    await session.click('[data-testid="nav-chat"]');
    return answer.replace(/\s+/g, " ");
  });
  await check("chat: a stopped answer keeps its partial text", async () => {
    await session.click('[data-testid="chat-new-thread"]');
    await session.type('[data-testid="chat-composer"]', "Write a long story about a dragon.");
    await session.click('[data-testid="chat-send"]');
    await session.waitForText('[data-testid="message-assistant"] [data-testid="message-content"]', (text) => text.length > 40, 120000);
    await session.click('[data-testid="chat-stop"]');
    const status = await session.waitForText('[data-testid="message-status"]', (text) => text.includes("Stopped"), 30000);
    const kept = await session.text('[data-testid="message-assistant"] [data-testid="message-content"]');
    if (kept.length <= 40) throw new Error(`partial text is ${JSON.stringify(kept)}`);
    return `${status}: ${kept.length} characters kept`;
  });
} finally {
  await session.end();
}

// A restart finds the conversation, its messages and its settings.
const again = await Session.start(base, application);
try {
  await check("chat: after a restart the thread and its answer are there", async () => {
    await again.type('[data-testid="login-username"]', "admin");
    await again.type('[data-testid="login-password"]', "e2e correct horse battery");
    await again.click('[data-testid="login-submit"]');
    await again.waitFor('[data-testid="nav-chat"]', 30000);
    await again.click('[data-testid="nav-chat"]');
    // The model titles a thread after its first exchange, so the title's words are the
    // model's; the other thread is the stopped story (titles are full in the tooltip).
    const thread = '[data-testid="chat-thread"]:not([title^="Write a long story"])';
    await again.waitFor(thread, 30000).catch(async (error) => {
      writeFileSync(join(outDir, "chat-after-restart.png"), await again.screenshot());
      throw error;
    });
    await again.click(thread);
    const answer = await again.waitForText('[data-testid="chat-messages"]', (text) => text.includes("Paris."), 30000);
    await again.click('[data-testid="chat-settings-toggle"]');
    const temperature = await again.call("GET", `/element/${await again.waitFor('[data-testid="setting-temperature"]')}/property/value`);
    if (Number(temperature) !== 0) throw new Error(`temperature is ${temperature}`);
    writeFileSync(join(outDir, "chat-after-restart.png"), await again.screenshot());
    return `answer kept; temperature ${temperature}`;
  });
} finally {
  await again.end();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
