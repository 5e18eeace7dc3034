import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import type { ApiError } from "./types";
import {
  appInfo,
  authLogin,
  authLogout,
  authStatus,
  backendMode,
  BackendError,
  eventsSince,
  jobCancel,
  jobsList,
  unwrap,
} from "./backend";
import { CLIENT_ERROR_CODES, toBackendError } from "./backend-error";
import { DEMO_APP_INFO, DEMO_AUTH_STATUS, DEMO_JOBS } from "./demo-data";
import { installSessionHooks, type SessionHooks } from "./session-hooks";

vi.mock("../bindings", () => ({
  commands: {
    appInfo: vi.fn(),
    jobsList: vi.fn(),
    jobCancel: vi.fn(),
    eventsSince: vi.fn(),
    authStatus: vi.fn(),
    authLogin: vi.fn(),
    authLogout: vi.fn(),
  },
  events: { appEventMessage: { listen: vi.fn() } },
}));

beforeEach(() => vi.resetAllMocks());

function enterTauri() {
  vi.stubGlobal("__TAURI_INTERNALS__", {});
}

describe("unwrap / toBackendError", () => {
  it("returns data for ok results", () => {
    expect(unwrap({ status: "ok", data: 42 })).toBe(42);
  });

  it("throws a BackendError that keeps code and details", () => {
    const run = () =>
      unwrap({ status: "error", error: { code: "model_not_found", message: "No such model", details: { id: "x" } } });
    expect(run).toThrow(BackendError);
    try {
      run();
    } catch (error) {
      const e = error as BackendError;
      expect(e.code).toBe("model_not_found");
      expect(e.message).toBe("No such model");
      expect(e.details).toEqual({ id: "x" });
    }
  });

  it("maps non-ApiError failures to the ipc code", () => {
    expect(toBackendError("Command app_info not found").code).toBe(CLIENT_ERROR_CODES.ipc);
    expect(toBackendError(new Error("bridge down")).code).toBe(CLIENT_ERROR_CODES.ipc);
    expect(toBackendError(undefined).code).toBe(CLIENT_ERROR_CODES.ipc);
    expect(toBackendError({ code: 7 }).code).toBe(CLIENT_ERROR_CODES.ipc);
  });
});

describe("in a plain browser", () => {
  it("uses labelled demo data and never calls Tauri", async () => {
    expect(backendMode()).toBe("demo");
    await expect(appInfo()).resolves.toEqual(DEMO_APP_INFO);
    await expect(jobsList()).resolves.toEqual(DEMO_JOBS);
    await expect(eventsSince(0)).resolves.toEqual([]);
    await expect(authStatus()).resolves.toEqual(DEMO_AUTH_STATUS);
    expect(DEMO_APP_INFO.version).toContain("demo");
    expect(DEMO_AUTH_STATUS.secretBackend.name).toContain("Demo");
    expect(commands.appInfo).not.toHaveBeenCalled();
  });

  it("accepts any demo login and labels the session as a demo", async () => {
    const session = await authLogin("grace", "whatever");
    expect(session.user.username).toBe("grace");
    expect(session.accessToken).toContain("demo");
    expect(commands.authLogin).not.toHaveBeenCalled();
  });
});

const UNAUTHENTICATED: ApiError = { code: "unauthenticated", message: "token expired", details: { reason: "expired" } };

/** Session hooks backed by a token variable; `renew` decides what a refresh yields. */
function fakeSession(initial: string | null, renew: () => Promise<string | null>) {
  let token = initial;
  const hooks: SessionHooks = {
    accessToken: () => token,
    renewAfter: vi.fn(async () => {
      token = await renew();
      return token;
    }),
    sessionLost: vi.fn(() => {
      token = null;
    }),
  };
  return { hooks, uninstall: installSessionHooks(hooks) };
}

describe("inside Tauri", () => {
  let uninstall: () => void = () => undefined;
  beforeEach(() => {
    enterTauri();
    ({ uninstall } = fakeSession("tok-1", () => Promise.resolve("tok-2")));
  });
  afterEach(() => {
    uninstall();
    vi.unstubAllGlobals();
  });

  it("returns the command's data", async () => {
    vi.mocked(commands.appInfo).mockResolvedValue({ status: "ok", data: DEMO_APP_INFO });
    expect(backendMode()).toBe("tauri");
    await expect(appInfo()).resolves.toBe(DEMO_APP_INFO);
  });

  it("throws BackendError with the backend's code on an error result", async () => {
    vi.mocked(commands.jobsList).mockResolvedValue({
      status: "error",
      error: { code: "database", message: "locked", details: null },
    });
    await expect(jobsList()).rejects.toMatchObject({ name: "BackendError", code: "database", message: "locked" });
  });

  it("passes afterSeq through and wraps a thrown invoke failure", async () => {
    vi.mocked(commands.eventsSince).mockRejectedValue(new Error("IPC bridge unavailable"));
    await expect(eventsSince(5)).rejects.toMatchObject({ code: CLIENT_ERROR_CODES.ipc });
    expect(commands.eventsSince).toHaveBeenCalledWith("tok-1", 5);
  });

  it("passes the access token as the first argument of guarded commands", async () => {
    vi.mocked(commands.jobCancel).mockResolvedValue({ status: "ok", data: null });
    await jobCancel("job-9");
    expect(commands.jobCancel).toHaveBeenCalledWith("tok-1", "job-9");
  });

  it("does not send a token to unguarded commands", async () => {
    vi.mocked(commands.authStatus).mockResolvedValue({ status: "ok", data: DEMO_AUTH_STATUS });
    await authStatus();
    expect(commands.authStatus).toHaveBeenCalledWith();
  });
});

describe("guarded calls on unauthenticated", () => {
  beforeEach(enterTauri);
  afterEach(() => vi.unstubAllGlobals());

  it("renews the session once and retries once with the new token", async () => {
    const { hooks, uninstall } = fakeSession("old", () => Promise.resolve("new"));
    vi.mocked(commands.jobsList)
      .mockResolvedValueOnce({ status: "error", error: UNAUTHENTICATED })
      .mockResolvedValueOnce({ status: "ok", data: DEMO_JOBS });
    await expect(jobsList()).resolves.toEqual(DEMO_JOBS);
    expect(commands.jobsList).toHaveBeenNthCalledWith(1, "old");
    expect(commands.jobsList).toHaveBeenNthCalledWith(2, "new");
    expect(hooks.renewAfter).toHaveBeenCalledTimes(1);
    expect(hooks.renewAfter).toHaveBeenCalledWith("old");
    expect(hooks.sessionLost).not.toHaveBeenCalled();
    uninstall();
  });

  it("retries only once: a second refusal ends the session", async () => {
    const { hooks, uninstall } = fakeSession("old", () => Promise.resolve("new"));
    vi.mocked(commands.jobsList).mockResolvedValue({ status: "error", error: UNAUTHENTICATED });
    await expect(jobsList()).rejects.toMatchObject({ code: "unauthenticated" });
    expect(commands.jobsList).toHaveBeenCalledTimes(2);
    expect(hooks.renewAfter).toHaveBeenCalledTimes(1);
    expect(hooks.sessionLost).toHaveBeenCalledTimes(1);
    uninstall();
  });

  it("ends the session when it cannot be renewed, without retrying", async () => {
    const { hooks, uninstall } = fakeSession("old", () => Promise.resolve(null));
    vi.mocked(commands.appInfo).mockResolvedValue({ status: "error", error: UNAUTHENTICATED });
    await expect(appInfo()).rejects.toMatchObject({ code: "unauthenticated", details: { reason: "expired" } });
    expect(commands.appInfo).toHaveBeenCalledTimes(1);
    expect(hooks.sessionLost).toHaveBeenCalledTimes(1);
    uninstall();
  });

  it("does not renew on other errors", async () => {
    const { hooks, uninstall } = fakeSession("old", () => Promise.resolve("new"));
    vi.mocked(commands.appInfo).mockResolvedValue({
      status: "error",
      error: { code: "database", message: "locked", details: null },
    });
    await expect(appInfo()).rejects.toMatchObject({ code: "database" });
    expect(hooks.renewAfter).not.toHaveBeenCalled();
    uninstall();
  });

  it("with no session at all, fails as unauthenticated without calling the command", async () => {
    const { hooks, uninstall } = fakeSession(null, () => Promise.resolve(null));
    await expect(appInfo()).rejects.toMatchObject({ code: "unauthenticated", details: { reason: "no_session" } });
    expect(commands.appInfo).not.toHaveBeenCalled();
    expect(hooks.sessionLost).toHaveBeenCalledTimes(1);
    uninstall();
  });

  it("logout never ends the local session by itself", async () => {
    const { hooks, uninstall } = fakeSession("old", () => Promise.resolve(null));
    vi.mocked(commands.authLogout).mockResolvedValue({ status: "error", error: UNAUTHENTICATED });
    await expect(authLogout()).rejects.toMatchObject({ code: "unauthenticated" });
    expect(hooks.sessionLost).not.toHaveBeenCalled();
    uninstall();
  });
});
