import { commands, events } from "../bindings";
import type { ApiError, AppEvent, AppInfo, JobRecord } from "./types";
import { toBackendError } from "./backend-error";
import { DEMO_APP_INFO, DEMO_JOBS } from "./demo-data";
import { isTauri } from "./runtime";

export { BackendError, CLIENT_ERROR_CODES } from "./backend-error";

/** What a generated command resolves to; the generated file does not export a name for it. */
export type CommandResult<T> = { status: "ok"; data: T } | { status: "error"; error: ApiError };

/** "tauri": real data from the Rust side. "demo": labelled sample data for a plain browser. */
export type BackendMode = "tauri" | "demo";

export function backendMode(): BackendMode {
  return isTauri() ? "tauri" : "demo";
}

/** Returns `data`, or throws a BackendError carrying the backend's `code`. */
export function unwrap<T>(result: CommandResult<T>): T {
  if (result.status === "ok") return result.data;
  throw toBackendError(result.error);
}

async function call<T>(command: () => Promise<CommandResult<T>>): Promise<T> {
  let result: CommandResult<T>;
  try {
    result = await command();
  } catch (error) {
    throw toBackendError(error);
  }
  return unwrap(result);
}

function demo<T>(value: T): Promise<T> {
  return Promise.resolve(structuredClone(value));
}

export function appInfo(): Promise<AppInfo> {
  return isTauri() ? call(commands.appInfo) : demo(DEMO_APP_INFO);
}

export function jobsList(): Promise<JobRecord[]> {
  return isTauri() ? call(commands.jobsList) : demo(DEMO_JOBS);
}

/** Events with `seq > afterSeq`, for replaying what a reconnecting UI missed. */
export function eventsSince(afterSeq: number): Promise<AppEvent[]> {
  return isTauri() ? call(() => commands.eventsSince(afterSeq)) : demo([]);
}

/** Subscribes to the backend's event bus. Resolves to an unsubscribe function. */
export async function onAppEvent(handler: (event: AppEvent) => void): Promise<() => void> {
  if (!isTauri()) return () => undefined;
  try {
    return await events.appEventMessage.listen((event) => handler(event.payload));
  } catch (error) {
    throw toBackendError(error);
  }
}
