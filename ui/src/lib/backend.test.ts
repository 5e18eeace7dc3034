import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import { appInfo, backendMode, BackendError, eventsSince, jobsList, unwrap } from "./backend";
import { CLIENT_ERROR_CODES, toBackendError } from "./backend-error";
import { DEMO_APP_INFO, DEMO_JOBS } from "./demo-data";

vi.mock("../bindings", () => ({
  commands: { appInfo: vi.fn(), jobsList: vi.fn(), eventsSince: vi.fn() },
  events: { appEventMessage: { listen: vi.fn() } },
}));

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
    expect(DEMO_APP_INFO.version).toContain("demo");
    expect(commands.appInfo).not.toHaveBeenCalled();
  });
});

describe("inside Tauri", () => {
  beforeEach(enterTauri);
  afterEach(() => vi.unstubAllGlobals());

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
    expect(commands.eventsSince).toHaveBeenCalledWith(5);
  });
});
