import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands, events } from "./bindings";
import { appInfo, jobsList } from "./lib/backend";
import { DEMO_APP_INFO, DEMO_HARDWARE_REPORT } from "./lib/demo-data";
import { SESSION_STORAGE_KEY } from "./lib/session-persistence";
import type { ApiError, JsonValue, Session } from "./lib/types";
import { useAppInfoStore } from "./stores/app-info";
import { useDraftsStore } from "./stores/drafts";
import { resetHardwareForTests } from "./stores/hardware";
import { REFRESH_LEAD_MS, refreshDelayMs, useSessionStore } from "./stores/session";
import { resetAuthForTests, signInForTest, TEST_AUTH_STATUS, testSession } from "./test/auth";
import { renderRoute } from "./test/render-route";

vi.mock("./bindings", () => ({
  commands: {
    authStatus: vi.fn(),
    authFirstRun: vi.fn(),
    authLogin: vi.fn(),
    authRefresh: vi.fn(),
    authLogout: vi.fn(),
    authChangePassword: vi.fn(),
    appInfo: vi.fn(),
    jobsList: vi.fn(),
    jobCancel: vi.fn(),
    eventsSince: vi.fn(),
    hardwareReport: vi.fn(),
    hardwareWatchStart: vi.fn(),
    hardwareWatchStop: vi.fn(),
    estimateInference: vi.fn(),
    estimateTraining: vi.fn(),
  },
  events: { appEventMessage: { listen: vi.fn() }, hardwareSampleEvent: { listen: vi.fn() } },
}));

// @tauri-apps/plugin-store, in memory: file name -> key -> value.
const storeFiles = vi.hoisted(() => new Map<string, Map<string, unknown>>());
vi.mock("@tauri-apps/plugin-store", () => ({
  LazyStore: class {
    private readonly file: Map<string, unknown>;
    constructor(path: string) {
      const file = storeFiles.get(path) ?? new Map<string, unknown>();
      storeFiles.set(path, file);
      this.file = file;
    }
    get(key: string) {
      return Promise.resolve(this.file.get(key));
    }
    set(key: string, value: unknown) {
      this.file.set(key, value);
      return Promise.resolve();
    }
    delete(key: string) {
      return Promise.resolve(this.file.delete(key));
    }
    save() {
      return Promise.resolve();
    }
  },
}));

function ok<T>(data: T) {
  return Promise.resolve({ status: "ok" as const, data });
}

function fail(code: string, details: JsonValue | null = null) {
  const error: ApiError = { code, message: `backend says ${code}`, details };
  return Promise.resolve({ status: "error" as const, error });
}

/** The webview's sessionStorage, where the refresh token survives a reload. */
function sessionFile() {
  return {
    get: (key: string): unknown => {
      const raw = window.sessionStorage.getItem(key);
      return raw === null ? undefined : (JSON.parse(raw) as unknown);
    },
    set: (key: string, value: unknown) => window.sessionStorage.setItem(key, JSON.stringify(value)),
  };
}

function persistedRefresh(): unknown {
  return sessionFile().get(SESSION_STORAGE_KEY);
}

/** Lets pending promise callbacks (persistence writes, store updates) run. */
async function settle() {
  await act(async () => {
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
  });
}

function typeInto(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

beforeEach(() => {
  vi.resetAllMocks();
  vi.stubGlobal("__TAURI_INTERNALS__", {});
  storeFiles.forEach((file) => file.clear());
  window.sessionStorage.clear();
  resetAuthForTests();
  useAppInfoStore.setState({ status: "idle", info: null, error: null });
  resetHardwareForTests();
  vi.mocked(events.appEventMessage.listen).mockResolvedValue(() => undefined);
  vi.mocked(events.hardwareSampleEvent.listen).mockResolvedValue(() => undefined);
  vi.mocked(commands.hardwareReport).mockImplementation(() => ok(DEMO_HARDWARE_REPORT));
  vi.mocked(commands.hardwareWatchStart).mockImplementation(() => ok(1));
  vi.mocked(commands.hardwareWatchStop).mockImplementation(() => ok(0));
  vi.mocked(commands.authStatus).mockImplementation(() => ok(TEST_AUTH_STATUS));
  vi.mocked(commands.appInfo).mockImplementation(() => ok(DEMO_APP_INFO));
  vi.mocked(commands.jobsList).mockImplementation(() => ok([]));
  vi.mocked(commands.eventsSince).mockImplementation(() => ok([]));
  vi.mocked(commands.authLogout).mockImplementation(() => ok(null));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("start-up guard", () => {
  it("sends a fresh install to /first-run, shows the credentials once, then on to /login", async () => {
    vi.mocked(commands.authStatus).mockImplementation(() => ok({ ...TEST_AUTH_STATUS, needsFirstRun: true }));
    vi.mocked(commands.authFirstRun).mockImplementation(() =>
      ok({ username: "admin", passphrase: "correct-horse-battery-staple" }),
    );
    const { router } = renderRoute("/chat");

    expect(await screen.findByTestId("first-run-passphrase")).toHaveTextContent("correct-horse-battery-staple");
    expect(screen.getByTestId("first-run-username")).toHaveTextContent("admin");
    expect(screen.getByTestId("first-run-warning")).toHaveTextContent(/shown once/i);
    expect(screen.getByTestId("first-run-passphrase-copy")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/first-run");
    expect(commands.authFirstRun).toHaveBeenCalledTimes(1);

    fireEvent.click(screen.getByTestId("first-run-continue"));
    expect(await screen.findByTestId("page-login")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
  });

  it("explains, and still offers sign-in, when first run was already done", async () => {
    vi.mocked(commands.authStatus).mockImplementation(() => ok({ ...TEST_AUTH_STATUS, needsFirstRun: true }));
    vi.mocked(commands.authFirstRun).mockImplementation(() => fail("already_initialized"));
    renderRoute("/first-run");
    expect(await screen.findByTestId("first-run-error")).toHaveAttribute("data-error-code", "already_initialized");
    expect(screen.queryByTestId("first-run-passphrase")).not.toBeInTheDocument();
    expect(screen.getByTestId("first-run-continue")).toBeEnabled();
  });

  it("does not show /first-run once the backend no longer needs it", async () => {
    const { router } = renderRoute("/first-run");
    expect(await screen.findByTestId("page-login")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(commands.authFirstRun).not.toHaveBeenCalled();
  });

  it("sends a signed-out user to /login and back to the same path after signing in", async () => {
    vi.mocked(commands.authLogin).mockImplementation(() => ok(testSession()));
    const { router } = renderRoute("/settings");

    expect(await screen.findByTestId("page-login")).toBeInTheDocument();
    expect(router.state.location.search).toEqual({ redirect: "/settings" });
    expect(screen.queryByTestId("page-settings")).not.toBeInTheDocument();

    typeInto("login-username", "ada");
    typeInto("login-password", "hunter22");
    fireEvent.click(screen.getByTestId("login-submit"));

    expect(await screen.findByTestId("page-settings")).toBeInTheDocument();
    expect(commands.authLogin).toHaveBeenCalledWith("ada", "hunter22");
    expect(router.state.location.pathname).toBe("/settings");
    expect(persistedRefresh()).toMatchObject({ refreshToken: "refresh-1" });
  });

  it("sends a user who must change their password to /change-password, then on to the app", async () => {
    vi.mocked(commands.authLogin).mockImplementation(() => ok(testSession({ user: { mustChangePassword: true } })));
    vi.mocked(commands.authChangePassword).mockImplementation(() => ok(testSession({ tag: "2" })));
    const { router } = renderRoute("/models");

    typeInto(await screen.findByTestId("login-username").then(() => "login-username"), "admin");
    typeInto("login-password", "one-time-passphrase");
    fireEvent.click(screen.getByTestId("login-submit"));

    expect(await screen.findByTestId("page-change-password")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/change-password");
    expect(router.state.location.search).toEqual({ redirect: "/models" });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Choose your password");

    typeInto("change-old", "one-time-passphrase");
    typeInto("change-new", "my-own-password");
    typeInto("change-confirm", "my-own-password");
    fireEvent.click(screen.getByTestId("change-submit"));

    expect(await screen.findByTestId("page-models")).toBeInTheDocument();
    expect(commands.authChangePassword).toHaveBeenCalledWith("access-1", "one-time-passphrase", "my-own-password");
    expect(useSessionStore.getState().session?.accessToken).toBe("access-2");
  });

  it("keeps a user who must change their password out of the app", async () => {
    signInForTest(testSession({ user: { mustChangePassword: true } }));
    const { router } = renderRoute("/train");
    expect(await screen.findByTestId("page-change-password")).toBeInTheDocument();
    expect(router.state.location.search).toEqual({ redirect: "/train" });
    expect(screen.queryByTestId("page-train")).not.toBeInTheDocument();
  });

  it("sends somebody already signed in from /login on to where they were headed", async () => {
    signInForTest(testSession());
    const { router } = renderRoute("/login?redirect=%2Fmodels");
    expect(await screen.findByTestId("page-models")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/models");
  });

  it("shows a coded error page when the auth status can't be read", async () => {
    vi.mocked(commands.authStatus).mockRejectedValue("Command auth_status not found");
    // The router reports the failed match on the console; the page is what matters here.
    const logged = [vi.spyOn(console, "error"), vi.spyOn(console, "warn")].map((spy) => spy.mockImplementation(() => undefined));
    renderRoute("/chat");
    expect(await screen.findByTestId("page-error")).toBeInTheDocument();
    expect(screen.getByTestId("error-notice")).toHaveAttribute("data-error-code", "ipc_error");
    logged.forEach((spy) => spy.mockRestore());
  });

  it("resumes on start from the persisted refresh token", async () => {
    const inAWeek = Math.floor(Date.now() / 1000) + 7 * 24 * 3600;
    sessionFile().set(SESSION_STORAGE_KEY, { refreshToken: "refresh-saved", refreshExpiresAt: inAWeek });
    vi.mocked(commands.authRefresh).mockImplementation(() => ok(testSession({ tag: "2" })));

    renderRoute("/recipes");
    expect(await screen.findByTestId("page-recipes")).toBeInTheDocument();
    expect(commands.authRefresh).toHaveBeenCalledTimes(1);
    expect(commands.authRefresh).toHaveBeenCalledWith("refresh-saved");
    await settle();
    expect(persistedRefresh()).toMatchObject({ refreshToken: "refresh-2" });
  });

  it("drops an expired persisted refresh token without using it", async () => {
    sessionFile().set(SESSION_STORAGE_KEY, { refreshToken: "refresh-old", refreshExpiresAt: 1 });
    renderRoute("/chat");
    expect(await screen.findByTestId("page-login")).toBeInTheDocument();
    expect(commands.authRefresh).not.toHaveBeenCalled();
    expect(persistedRefresh()).toBeUndefined();
  });
});

describe("refresh before expiry", () => {
  it("refreshes 60 s before the access token expires, then schedules the next one", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2025-01-01T00:00:00Z"));
    vi.mocked(commands.authLogin).mockImplementation(() => ok(testSession({ tag: "1" })));
    let issued = 1;
    vi.mocked(commands.authRefresh).mockImplementation(() => {
      issued += 1;
      return ok(testSession({ tag: String(issued) }));
    });

    await useSessionStore.getState().login("ada", "pw");
    const firstDue = 3600 * 1000 - REFRESH_LEAD_MS;

    await vi.advanceTimersByTimeAsync(firstDue - 1);
    expect(commands.authRefresh).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    expect(commands.authRefresh).toHaveBeenCalledTimes(1);
    expect(commands.authRefresh).toHaveBeenCalledWith("refresh-1");
    expect(useSessionStore.getState().session?.accessToken).toBe("access-2");
    expect(persistedRefresh()).toMatchObject({ refreshToken: "refresh-2" });

    // The new token lives an hour from now, so the next refresh is due 59 minutes later.
    await vi.advanceTimersByTimeAsync(firstDue - 1);
    expect(commands.authRefresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(commands.authRefresh).toHaveBeenCalledTimes(2);
    expect(commands.authRefresh).toHaveBeenLastCalledWith("refresh-2");
  });

  it("ends the session when the scheduled refresh is refused", async () => {
    vi.useFakeTimers();
    vi.mocked(commands.authLogin).mockImplementation(() => ok(testSession()));
    vi.mocked(commands.authRefresh).mockImplementation(() => fail("refresh_token_reused"));

    await useSessionStore.getState().login("ada", "pw");
    expect(persistedRefresh()).toMatchObject({ refreshToken: "refresh-1" });
    await vi.advanceTimersByTimeAsync(3600 * 1000);

    expect(useSessionStore.getState().session).toBeNull();
    expect(useSessionStore.getState().endedReason).toBe("expired");
    expect(persistedRefresh()).toBeUndefined();
  });

  it("stops the timer on sign-out", async () => {
    vi.useFakeTimers();
    vi.mocked(commands.authLogin).mockImplementation(() => ok(testSession()));
    await useSessionStore.getState().login("ada", "pw");
    await useSessionStore.getState().logout();
    expect(commands.authLogout).toHaveBeenCalledWith("access-1");
    await vi.advanceTimersByTimeAsync(2 * 3600 * 1000);
    expect(commands.authRefresh).not.toHaveBeenCalled();
    expect(useSessionStore.getState().endedReason).toBe("signed_out");
    expect(persistedRefresh()).toBeUndefined();
  });

  it("never schedules sooner than a few seconds, even for a token about to expire", () => {
    const now = Date.UTC(2025, 0, 1);
    expect(refreshDelayMs(now / 1000 + 3600, now)).toBe(3600 * 1000 - REFRESH_LEAD_MS);
    expect(refreshDelayMs(now / 1000 + 30, now)).toBe(5_000);
    expect(refreshDelayMs(now / 1000 - 30, now)).toBe(5_000);
  });
});

describe("guarded calls with the session store", () => {
  it("retries once after refreshing, and shares one refresh between calls that failed together", async () => {
    signInForTest(testSession({ tag: "1" }));
    vi.mocked(commands.appInfo).mockImplementation((token: string) =>
      token === "access-1" ? fail("unauthenticated", { reason: "expired" }) : ok(DEMO_APP_INFO),
    );
    vi.mocked(commands.jobsList).mockImplementation((token: string) =>
      token === "access-1" ? fail("unauthenticated", { reason: "expired" }) : ok([]),
    );
    let release: (session: Session) => void = () => undefined;
    vi.mocked(commands.authRefresh).mockImplementation(
      () => new Promise((resolve) => (release = (data) => resolve({ status: "ok", data }))),
    );

    const both = Promise.all([appInfo(), jobsList()]);
    await settle();
    release(testSession({ tag: "2" }));

    await expect(both).resolves.toEqual([DEMO_APP_INFO, []]);
    expect(commands.authRefresh).toHaveBeenCalledTimes(1);
    expect(commands.appInfo).toHaveBeenCalledTimes(2);
    expect(commands.appInfo).toHaveBeenLastCalledWith("access-2");
    expect(commands.jobsList).toHaveBeenLastCalledWith("access-2");
    expect(useSessionStore.getState().session?.refreshToken).toBe("refresh-2");
  });

  it("a call refused with a token that was already replaced just retries with the new one", async () => {
    signInForTest(testSession({ tag: "1" }));
    vi.mocked(commands.jobsList).mockImplementation((token: string) => {
      if (token === "access-1") {
        // Meanwhile another caller refreshed the session.
        signInForTest(testSession({ tag: "2" }));
        return fail("unauthenticated", { reason: "expired" });
      }
      return ok([]);
    });
    await expect(jobsList()).resolves.toEqual([]);
    expect(commands.authRefresh).not.toHaveBeenCalled();
    expect(commands.jobsList).toHaveBeenLastCalledWith("access-2");
  });
});

describe("when the refresh fails", () => {
  it("goes to the login page keeping the draft, and comes back to the same path after signing in", async () => {
    signInForTest(testSession({ tag: "1" }));
    useDraftsStore.getState().setChatComposer("Half-written question about LoRA ranks");
    vi.mocked(commands.hardwareReport).mockImplementation((token: string) =>
      token === "access-1" ? fail("unauthenticated", { reason: "expired" }) : ok(DEMO_HARDWARE_REPORT),
    );
    vi.mocked(commands.authRefresh).mockImplementation(() => fail("refresh_token_reused"));
    vi.mocked(commands.authLogin).mockImplementation(() => ok(testSession({ tag: "3" })));

    const { router } = renderRoute("/chat?thread=7");

    // The sidebar asks for the hardware report; the token is refused, the refresh too: back to login.
    expect(await screen.findByTestId("page-login")).toBeInTheDocument();
    expect(commands.authRefresh).toHaveBeenCalledWith("refresh-1");
    expect(router.state.location.search).toEqual({ redirect: "/chat?thread=7" });
    expect(screen.getByTestId("login-session-ended")).toBeInTheDocument();
    expect(useDraftsStore.getState().chatComposer).toBe("Half-written question about LoRA ranks");
    expect(useSessionStore.getState().session).toBeNull();

    typeInto("login-username", "ada");
    typeInto("login-password", "hunter22");
    fireEvent.click(screen.getByTestId("login-submit"));

    const composer = await screen.findByTestId("chat-composer");
    expect(composer).toHaveValue("Half-written question about LoRA ranks");
    expect(router.state.location.pathname).toBe("/chat");
    expect(router.state.location.search).toEqual({ thread: 7 });
    expect(useDraftsStore.getState().returnTo).toBeNull();
  });

  it("keeps the return path in the drafts store even when the URL loses it", async () => {
    useDraftsStore.getState().setReturnTo("/models");
    vi.mocked(commands.authLogin).mockImplementation(() => ok(testSession()));
    const { router } = renderRoute("/login");
    typeInto(await screen.findByTestId("login-username").then(() => "login-username"), "ada");
    typeInto("login-password", "hunter22");
    fireEvent.click(screen.getByTestId("login-submit"));
    expect(await screen.findByTestId("page-models")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/models");
  });

  it("signing out keeps the draft but forgets the path", async () => {
    signInForTest(testSession());
    useDraftsStore.getState().setChatComposer("keep me");
    const { router } = renderRoute("/settings");
    fireEvent.click(await screen.findByTestId("sign-out"));
    expect(await screen.findByTestId("page-login")).toBeInTheDocument();
    expect(commands.authLogout).toHaveBeenCalledWith("access-1");
    expect(router.state.location.search).toEqual({});
    expect(useDraftsStore.getState()).toMatchObject({ chatComposer: "keep me", returnTo: null });
  });
});

describe("login errors", () => {
  it("shows a lockout countdown for locked_out and re-enables sign-in when it ends", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    vi.mocked(commands.authLogin).mockImplementation(() => fail("locked_out", { retryAfterSeconds: 42 }));
    renderRoute("/login");

    typeInto(await screen.findByTestId("login-username").then(() => "login-username"), "ada");
    typeInto("login-password", "wrong");
    fireEvent.click(screen.getByTestId("login-submit"));

    const error = await screen.findByTestId("login-error");
    expect(error).toHaveAttribute("data-error-code", "locked_out");
    expect(screen.getByTestId("login-lockout-countdown")).toHaveTextContent("0:42");
    typeInto("login-password", "right-this-time");
    expect(screen.getByTestId("login-submit")).toBeDisabled();

    await act(() => vi.advanceTimersByTimeAsync(2_000));
    expect(screen.getByTestId("login-lockout-countdown")).toHaveTextContent("0:40");

    await act(() => vi.advanceTimersByTimeAsync(40_000));
    expect(screen.queryByTestId("login-lockout-countdown")).not.toBeInTheDocument();
    expect(screen.getByTestId("login-error")).toHaveTextContent("You can try signing in again now");
    expect(screen.getByTestId("login-submit")).toBeEnabled();
  });

  it("says the credentials are wrong for invalid_credentials, by code", async () => {
    vi.mocked(commands.authLogin).mockImplementation(() => fail("invalid_credentials"));
    renderRoute("/login");
    typeInto(await screen.findByTestId("login-username").then(() => "login-username"), "ada");
    typeInto("login-password", "wrong");
    fireEvent.click(screen.getByTestId("login-submit"));
    const error = await screen.findByTestId("login-error");
    expect(error).toHaveAttribute("data-error-code", "invalid_credentials");
    expect(error).toHaveTextContent("Wrong username or password.");
    expect(screen.getByTestId("login-password")).toHaveValue("");
  });
});

describe("change password", () => {
  beforeEach(() => signInForTest(testSession()));

  async function submitChange(oldPassword: string, newPassword: string, confirm: string) {
    await screen.findByTestId("page-change-password");
    typeInto("change-old", oldPassword);
    typeInto("change-new", newPassword);
    typeInto("change-confirm", confirm);
    fireEvent.click(screen.getByTestId("change-submit"));
  }

  it.each([
    ["too_short", "old-password", "short", "short"],
    ["same_as_old", "same-password", "same-password", "same-password"],
    ["mismatch", "old-password", "new-password-1", "new-password-2"],
  ])("refuses %s before asking the backend", async (problem, oldPassword, newPassword, confirm) => {
    renderRoute("/change-password");
    await submitChange(oldPassword, newPassword, confirm);
    const problems = await screen.findByTestId("change-problems");
    expect(problems.querySelector(`[data-problem="${problem}"]`)).not.toBeNull();
    expect(commands.authChangePassword).not.toHaveBeenCalled();
  });

  it("shows the backend's password_policy refusal", async () => {
    vi.mocked(commands.authChangePassword).mockImplementation(() => fail("password_policy", { minLength: 8 }));
    renderRoute("/change-password?redirect=%2Fsettings");
    await submitChange("old-password", "new-password", "new-password");
    const error = await screen.findByTestId("change-error");
    expect(error).toHaveAttribute("data-error-code", "password_policy");
    expect(error).toHaveTextContent("doesn't meet the password policy");
    expect(error).toHaveTextContent("backend says password_policy");
    expect(useSessionStore.getState().session?.accessToken).toBe("access-1");
  });

  it("returns to where it was opened from after a voluntary change", async () => {
    vi.mocked(commands.authChangePassword).mockImplementation(() => ok(testSession({ tag: "2" })));
    const { router } = renderRoute("/change-password?redirect=%2Fsettings");
    await submitChange("old-password", "new-password", "new-password");
    expect(await screen.findByTestId("page-settings")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/settings");
    await waitFor(() => expect(persistedRefresh()).toMatchObject({ refreshToken: "refresh-2" }));
  });
});
