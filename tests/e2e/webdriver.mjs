// A small W3C WebDriver client over Node's fetch, for tauri-driver (WebKitWebDriver underneath).
// No dependencies: the e2e harness needs nothing from npm beyond Node itself.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application) {
    const value = await request(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application } } },
    });
    return new Session(base, value.sessionId);
  }

  call(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async find(css) {
    const element = await this.call("POST", "/element", { using: "css selector", value: css });
    return Object.values(element)[0];
  }

  /** Waits until `css` matches an element; returns its id. */
  async waitFor(css, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    while (Date.now() < deadline) {
      try {
        return await this.find(css);
      } catch (error) {
        lastError = error;
        await sleep(100);
      }
    }
    throw new Error(`timed out waiting for ${css}: ${lastError?.message}`);
  }

  async text(css) {
    return this.call("GET", `/element/${await this.waitFor(css)}/text`);
  }

  /** Waits until the element's text satisfies `predicate`; returns the text. */
  async waitForText(css, predicate, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let text = "";
    while (Date.now() < deadline) {
      text = await this.text(css).catch(() => "");
      if (predicate(text)) return text;
      await sleep(100);
    }
    throw new Error(`timed out waiting for text of ${css}; last was ${JSON.stringify(text)}`);
  }

  async click(css) {
    await this.call("POST", `/element/${await this.waitFor(css)}/click`, {});
  }

  async type(css, text) {
    const id = await this.waitFor(css);
    await this.call("POST", `/element/${id}/clear`, {});
    await this.call("POST", `/element/${id}/value`, { text });
  }

  async screenshot() {
    return Buffer.from(await this.call("GET", "/screenshot"), "base64");
  }

  async end() {
    await this.call("DELETE", "").catch((error) => console.error("ending session:", error.message));
  }
}

async function request(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}
