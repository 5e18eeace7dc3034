import { commands, events } from "../bindings";
import type {
  ApiError,
  ApiKeyInfo,
  ApiRequestEntry,
  AppEvent,
  AppInfo,
  AuthStatus,
  ChatBranch,
  ChatEventPayload,
  CompareStarted,
  CreatedApiKey,
  Dequantize,
  ExportFormat,
  FirstRunCredentials,
  HardwareReport,
  HardwareSample,
  InferenceAssessment,
  JobRecord,
  LoadedModelInfo,
  LocalModelInfo,
  ModelEventPayload,
  ModelSamplingDefaults,
  ReplyStarted,
  SamplingPreset,
  SearchHit,
  ServerStartRequest,
  ServerStatus,
  Session,
  StarterModel,
  TrainingAssessment,
  TrainingEstimateRequest,
  Thread,
  ThreadSettings,
  TrainMetric,
  TrainPreviewRow,
  TrainPreviewSettings,
  TrainRun,
  TrainStarted,
  TrainStartRequest,
} from "./types";
import { AUTH_ERROR_CODES, BackendError, toBackendError } from "./backend-error";
import {
  DEMO_APP_INFO,
  DEMO_AUTH_STATUS,
  DEMO_FIRST_RUN,
  DEMO_HARDWARE_REPORT,
  DEMO_JOBS,
  demoSession,
  demoUsernameFromToken,
} from "./demo-data";
import { isTauri } from "./runtime";
import { sessionHooks } from "./session-hooks";

export { AUTH_ERROR_CODES, BackendError, CLIENT_ERROR_CODES } from "./backend-error";

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

function isUnauthenticated(error: unknown): error is BackendError {
  return error instanceof BackendError && error.code === AUTH_ERROR_CODES.unauthenticated;
}

/** The error a guarded call fails with when there is no session to send at all. */
function notSignedIn(): BackendError {
  return new BackendError(AUTH_ERROR_CODES.unauthenticated, "Not signed in.", { reason: "no_session" });
}

type GuardedOptions = {
  /** Clear the session (and so return to the login page) when it cannot be renewed. Default true. */
  endSessionOnFailure?: boolean;
};

/**
 * Runs a command that needs a session, with the current access token as its first argument.
 * When the backend answers `unauthenticated`, the session is renewed (one refresh, shared by
 * every call that failed at the same time) and the call is retried once. When that is not
 * possible, or the retry is refused too, the session is cleared and the error rethrown.
 */
async function guarded<T>(
  command: (accessToken: string) => Promise<CommandResult<T>>,
  { endSessionOnFailure = true }: GuardedOptions = {},
): Promise<T> {
  const hooks = sessionHooks();
  const token = hooks.accessToken();
  let refused: BackendError | null = null;
  if (token !== null) {
    try {
      return await call(() => command(token));
    } catch (error) {
      if (!isUnauthenticated(error)) throw error;
      refused = error;
    }
  }

  const renewed = await hooks.renewAfter(token);
  if (renewed === null) {
    if (endSessionOnFailure) hooks.sessionLost();
    throw refused ?? notSignedIn();
  }
  try {
    return await call(() => command(renewed));
  } catch (error) {
    if (endSessionOnFailure && isUnauthenticated(error)) hooks.sessionLost();
    throw error;
  }
}

function demo<T>(value: T): Promise<T> {
  return Promise.resolve(structuredClone(value));
}

// --- Auth: status, first run, login and refresh need no session. ---

/** Whether the first-run setup is pending, and which secret store the backend uses. */
export function authStatus(): Promise<AuthStatus> {
  return isTauri() ? call(commands.authStatus) : demo(DEMO_AUTH_STATUS);
}

/** Creates the admin user. Its passphrase is in this answer and nowhere else, ever. */
export function authFirstRun(): Promise<FirstRunCredentials> {
  return isTauri() ? call(commands.authFirstRun) : demo(DEMO_FIRST_RUN);
}

/** In the demo any username and password are accepted. */
export function authLogin(username: string, password: string): Promise<Session> {
  return isTauri() ? call(() => commands.authLogin(username, password)) : demo(demoSession(username));
}

/** Trades a refresh token (single use: it is rotated) for a new session. */
export function authRefresh(refreshToken: string): Promise<Session> {
  return isTauri()
    ? call(() => commands.authRefresh(refreshToken))
    : demo(demoSession(demoUsernameFromToken(refreshToken)));
}

/** Revokes the current session on the backend. Never clears the local session by itself. */
export function authLogout(): Promise<null> {
  return isTauri()
    ? guarded((token) => commands.authLogout(token), { endSessionOnFailure: false })
    : demo(null);
}

/** Changes the signed-in user's password. The backend revokes every session and returns a new one. */
export function authChangePassword(oldPassword: string, newPassword: string): Promise<Session> {
  if (!isTauri()) return demo(demoSession(demoUsernameFromToken(sessionHooks().accessToken())));
  return guarded((token) => commands.authChangePassword(token, oldPassword, newPassword));
}

// --- Everything else needs a session; backend.ts adds the access token. ---

export function appInfo(): Promise<AppInfo> {
  return isTauri() ? guarded((token) => commands.appInfo(token)) : demo(DEMO_APP_INFO);
}

export function jobsList(): Promise<JobRecord[]> {
  return isTauri() ? guarded((token) => commands.jobsList(token)) : demo(DEMO_JOBS);
}

/** Asks a running job to stop. */
export function jobCancel(id: string): Promise<null> {
  return isTauri() ? guarded((token) => commands.jobCancel(token, id)) : demo(null);
}

/** Events with `seq > afterSeq`, for replaying what a reconnecting UI missed. */
export function eventsSince(afterSeq: number): Promise<AppEvent[]> {
  return isTauri() ? guarded((token) => commands.eventsSince(token, afterSeq)) : demo([]);
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

// --- Hardware and memory estimates. ---

/** Codes of hardware and estimate errors (the Rust side's `HardwareError::code`). */
export const HARDWARE_ERROR_CODES = {
  invalidConfig: "invalid_config",
  unsupportedArchitecture: "unsupported_architecture",
  invalidGguf: "invalid_gguf",
  modelNotFound: "model_not_found",
  invalidInput: "invalid_input",
  unsupported: "unsupported",
  io: "io",
} as const;

/** GPUs, CPU, RAM and the data dir's disk, or "CPU only" with the reason. */
export function hardwareReport(): Promise<HardwareReport> {
  return isTauri() ? guarded((token) => commands.hardwareReport(token)) : demo(DEMO_HARDWARE_REPORT);
}

/**
 * Registers `watcher` for live samples (the first watcher starts the backend's sampler; the
 * same name twice is one watcher).
 */
export function hardwareWatchStart(watcher: string): Promise<number> {
  return isTauri() ? guarded((token) => commands.hardwareWatchStart(token, watcher)) : demo(0);
}

/** Unregisters `watcher` (the last one stops the sampler). Never ends the session by itself. */
export function hardwareWatchStop(watcher: string): Promise<number> {
  return isTauri()
    ? guarded((token) => commands.hardwareWatchStop(token, watcher), { endSessionOnFailure: false })
    : demo(0);
}

/** A plain browser has no model files to read. */
function demoEstimateRefused<T>(): Promise<T> {
  return Promise.reject(
    new BackendError(HARDWARE_ERROR_CODES.unsupported, "Memory estimates need the Loris Studio desktop app."),
  );
}

/** Memory to serve the model at `modelPath` with `contextLen` tokens, judged per device. */
export function estimateInference(modelPath: string, contextLen: number): Promise<InferenceAssessment> {
  return isTauri()
    ? guarded((token) => commands.estimateInference(token, modelPath, contextLen))
    : demoEstimateRefused();
}

/** Peak GPU memory of a training step with these settings, the verdicts and suggestions. */
export function estimateTraining(request: TrainingEstimateRequest): Promise<TrainingAssessment> {
  return isTauri() ? guarded((token) => commands.estimateTraining(token, request)) : demoEstimateRefused();
}

/** Subscribes to live hardware samples (sent while a watcher is registered). */
export async function onHardwareSample(handler: (sample: HardwareSample) => void): Promise<() => void> {
  if (!isTauri()) return () => undefined;
  try {
    return await events.hardwareSampleEvent.listen((event) => handler(event.payload));
  } catch (error) {
    throw toBackendError(error);
  }
}

// --- Loaded models. ---

/** Codes of model loading errors the UI words itself (the Rust side's `InferError::code`). */
export const MODEL_ERROR_CODES = {
  notLoaded: "model_not_loaded",
  loading: "model_loading",
  unsupported: "unsupported_model",
} as const;

/** The models ready to serve, sorted by id. */
export function modelsLoaded(): Promise<LoadedModelInfo[]> {
  return isTauri() ? guarded((token) => commands.modelsLoaded(token)) : demo([]);
}

/**
 * Loads a GGUF file or a model folder under `id` (default: its file or folder name). Resolves
 * when it is ready; progress arrives through `onModelEvent`.
 */
export function modelLoad(
  path: string,
  id: string | null,
  dequantize: Dequantize,
  adapter: string | null = null,
): Promise<LoadedModelInfo> {
  return isTauri()
    ? guarded((token) => commands.modelLoad(token, path, id, dequantize, adapter))
    : Promise.reject(new BackendError("unsupported", "Loading models needs the Loris Studio desktop app."));
}

export function modelUnload(id: string): Promise<null> {
  return isTauri() ? guarded((token) => commands.modelUnload(token, id)) : demo(null);
}

/** Where the starter model is on this machine, or null. */
export function starterModel(): Promise<StarterModel | null> {
  return isTauri() ? guarded((token) => commands.starterModel(token)) : demo(null);
}

/** Models on this machine that can be loaded: the starter model, models folders, the HF cache. */
export function modelsLocal(): Promise<LocalModelInfo[]> {
  return isTauri() ? guarded((token) => commands.modelsLocal(token)) : demo([]);
}

/** The models folders added in Settings. */
export function modelFoldersGet(): Promise<string[]> {
  return isTauri() ? guarded((token) => commands.modelFoldersGet(token)) : demo([]);
}

/** Replaces the models folders; resolves with them as saved. */
export function modelFoldersSet(folders: string[]): Promise<string[]> {
  return isTauri()
    ? guarded((token) => commands.modelFoldersSet(token, folders))
    : Promise.reject(new BackendError("unsupported", "Models folders need the Loris Studio desktop app."));
}

/** Subscribes to model load, progress and unload events. Resolves to an unsubscribe function. */
export async function onModelEvent(handler: (event: ModelEventPayload) => void): Promise<() => void> {
  if (!isTauri()) return () => undefined;
  try {
    return await events.modelEventMessage.listen((event) => handler(event.payload));
  } catch (error) {
    throw toBackendError(error);
  }
}

// --- The LAN API server and its keys. ---

/** Codes of the LAN API commands the UI words itself. */
export const SERVER_ERROR_CODES = {
  lanNeedsApiKey: "lan_needs_api_key",
  bindFailed: "server_bind_failed",
} as const;

/** The LAN API in a plain browser: off, with no addresses probed. */
const DEMO_SERVER_STATUS: ServerStatus = {
  running: false,
  address: null,
  port: 8139,
  lan: false,
  url: "http://127.0.0.1:8139",
  allowedHosts: [],
  allowedOrigins: [],
  lanAddresses: [],
  lastError: null,
};

function demoServerRefused<T>(): Promise<T> {
  return Promise.reject(new BackendError("unsupported", "The LAN API needs the Loris Studio desktop app."));
}

export function serverStatus(): Promise<ServerStatus> {
  return isTauri() ? guarded((token) => commands.serverStatus(token)) : demo(DEMO_SERVER_STATUS);
}

/** Starts (or restarts) the server with these settings; they are saved for the next launch. */
export function serverStart(request: ServerStartRequest): Promise<ServerStatus> {
  return isTauri() ? guarded((token) => commands.serverStart(token, request)) : demoServerRefused();
}

export function serverStop(): Promise<ServerStatus> {
  return isTauri() ? guarded((token) => commands.serverStop(token)) : demo(DEMO_SERVER_STATUS);
}

/** The running server's recent requests, newest first. */
export function serverRequests(): Promise<ApiRequestEntry[]> {
  return isTauri() ? guarded((token) => commands.serverRequests(token)) : demo([]);
}

/** Creates an API key. Its secret is in this answer and nowhere else, ever. */
export function apiKeyCreate(name: string, expiresInDays: number | null): Promise<CreatedApiKey> {
  return isTauri() ? guarded((token) => commands.apiKeyCreate(token, name, expiresInDays)) : demoServerRefused();
}

export function apiKeysList(): Promise<ApiKeyInfo[]> {
  return isTauri() ? guarded((token) => commands.apiKeysList(token)) : demo([]);
}

export function apiKeyRevoke(id: string): Promise<null> {
  return isTauri() ? guarded((token) => commands.apiKeyRevoke(token, id)) : demoServerRefused();
}

// --- Chat: threads, the branch on screen, streamed replies. ---

function demoChatRefused<T>(): Promise<T> {
  return Promise.reject(new BackendError("unsupported", "Chat needs the Loris Studio desktop app."));
}

export function chatThreadsList(includeArchived: boolean): Promise<Thread[]> {
  return isTauri() ? guarded((token) => commands.chatThreadsList(token, includeArchived)) : demo([]);
}

export function chatThreadCreate(title: string | null, model: string | null): Promise<Thread> {
  return isTauri() ? guarded((token) => commands.chatThreadCreate(token, title, model)) : demoChatRefused();
}

export function chatThreadRename(id: string, title: string): Promise<Thread> {
  return isTauri() ? guarded((token) => commands.chatThreadRename(token, id, title)) : demoChatRefused();
}

export function chatThreadPin(id: string, pinned: boolean): Promise<Thread> {
  return isTauri() ? guarded((token) => commands.chatThreadPin(token, id, pinned)) : demoChatRefused();
}

export function chatThreadArchive(id: string, archived: boolean): Promise<Thread> {
  return isTauri() ? guarded((token) => commands.chatThreadArchive(token, id, archived)) : demoChatRefused();
}

export function chatThreadDelete(id: string): Promise<null> {
  return isTauri() ? guarded((token) => commands.chatThreadDelete(token, id)) : demoChatRefused();
}

export function chatSettingsSet(id: string, settings: ThreadSettings): Promise<Thread> {
  return isTauri() ? guarded((token) => commands.chatSettingsSet(token, id, settings)) : demoChatRefused();
}

/** The thread and the messages of its branch on screen, each with its siblings. */
export function chatMessages(threadId: string): Promise<ChatBranch> {
  return isTauri() ? guarded((token) => commands.chatMessages(token, threadId)) : demoChatRefused();
}

/** Shows the branch through `messageId`, one of a message's siblings. */
export function chatSwitchBranch(messageId: string): Promise<ChatBranch> {
  return isTauri() ? guarded((token) => commands.chatSwitchBranch(token, messageId)) : demoChatRefused();
}

/** Stores the user's message and starts the reply; its text arrives through `onChatEvent`. */
export function chatSend(threadId: string, text: string, modelId: string): Promise<ReplyStarted> {
  return isTauri() ? guarded((token) => commands.chatSend(token, threadId, text, modelId)) : demoChatRefused();
}

/** Stores the message once and starts a reply from each model, side by side. */
export function chatSendCompare(threadId: string, text: string, modelIds: string[]): Promise<CompareStarted> {
  return isTauri()
    ? guarded((token) => commands.chatSendCompare(token, threadId, text, modelIds))
    : demoChatRefused();
}

/** Stops a reply; its text so far stays, marked stopped. */
export function chatStop(messageId: string): Promise<boolean> {
  return isTauri() ? guarded((token) => commands.chatStop(token, messageId)) : demo(false);
}

export function chatRegenerate(messageId: string, modelId: string): Promise<ReplyStarted> {
  return isTauri() ? guarded((token) => commands.chatRegenerate(token, messageId, modelId)) : demoChatRefused();
}

/** Edits a user message as a new branch, and starts its reply. */
export function chatEdit(messageId: string, text: string, modelId: string): Promise<ReplyStarted> {
  return isTauri() ? guarded((token) => commands.chatEdit(token, messageId, text, modelId)) : demoChatRefused();
}

export function chatFork(messageId: string): Promise<ChatBranch> {
  return isTauri() ? guarded((token) => commands.chatFork(token, messageId)) : demoChatRefused();
}

/** Copies the branch up to `messageId` into a new thread, to continue there. */
export function chatForkThread(messageId: string): Promise<Thread> {
  return isTauri() ? guarded((token) => commands.chatForkThread(token, messageId)) : demoChatRefused();
}

/** The sampling a loaded model's family is meant to run with. */
export function chatSamplingDefaults(modelId: string): Promise<ModelSamplingDefaults> {
  return isTauri() ? guarded((token) => commands.chatSamplingDefaults(token, modelId)) : demoChatRefused();
}

export function chatPresetsList(): Promise<SamplingPreset[]> {
  return isTauri() ? guarded((token) => commands.chatPresetsList(token)) : demo([]);
}

/** Saves `settings` under `name`, replacing a preset of that name. Resolves with the presets. */
export function chatPresetSave(name: string, settings: ThreadSettings): Promise<SamplingPreset[]> {
  return isTauri() ? guarded((token) => commands.chatPresetSave(token, name, settings)) : demoChatRefused();
}

export function chatPresetDelete(name: string): Promise<SamplingPreset[]> {
  return isTauri() ? guarded((token) => commands.chatPresetDelete(token, name)) : demoChatRefused();
}

export function chatSearch(query: string): Promise<SearchHit[]> {
  return isTauri() ? guarded((token) => commands.chatSearch(token, query, null)) : demo([]);
}

export function chatExport(threadId: string, format: ExportFormat): Promise<string> {
  return isTauri() ? guarded((token) => commands.chatExport(token, threadId, format)) : demoChatRefused();
}

/** A thread export as a new thread; a malformed file is refused and changes nothing. */
export function chatImport(json: string): Promise<Thread> {
  return isTauri() ? guarded((token) => commands.chatImport(token, json)) : demoChatRefused();
}

/** Subscribes to reply deltas, completions and errors. Resolves to an unsubscribe function. */
export async function onChatEvent(handler: (event: ChatEventPayload) => void): Promise<() => void> {
  if (!isTauri()) return () => undefined;
  try {
    return await events.chatEventMessage.listen((event) => handler(event.payload));
  } catch (error) {
    throw toBackendError(error);
  }
}

// --- Training: runs as jobs, their history, and the dataset's tokens. ---

/** Codes of training errors the UI words itself (the Rust side's `TrainError::code`). */
export const TRAIN_ERROR_CODES = {
  invalidConfig: "train_invalid_config",
  unsupportedModel: "train_unsupported_model",
  diverged: "train_diverged",
  badCheckpoint: "train_bad_checkpoint",
} as const;

function demoTrainRefused<T>(): Promise<T> {
  return Promise.reject(new BackendError("unsupported", "Training needs the Loris Studio desktop app."));
}

/** Starts a run as a job; its steps arrive as `job.progress` events through `onAppEvent`. */
export function trainStart(request: TrainStartRequest): Promise<TrainStarted> {
  return isTauri() ? guarded((token) => commands.trainStart(token, request)) : demoTrainRefused();
}

/** Asks a run to stop after its step, saving a checkpoint and the adapter. False when not running. */
export function trainStop(jobId: string): Promise<boolean> {
  return isTauri() ? guarded((token) => commands.trainStop(token, jobId)) : demo(false);
}

/** Ends a run after its step, writing nothing more. */
export function trainCancel(jobId: string): Promise<null> {
  return isTauri() ? guarded((token) => commands.trainCancel(token, jobId)) : demo(null);
}

/** Every run, newest first. */
export function trainRuns(): Promise<TrainRun[]> {
  return isTauri() ? guarded((token) => commands.trainRuns(token)) : demo([]);
}

/** A run's stored curve: training steps, then evaluations. */
export function trainMetrics(runId: string): Promise<TrainMetric[]> {
  return isTauri() ? guarded((token) => commands.trainMetrics(token, runId)) : demo([]);
}

/** The first `rows` rows of a dataset as training tokenizes them, each token marked trained or not. */
export function trainPreview(
  model: string,
  dataset: string,
  settings: TrainPreviewSettings,
  rows: number,
): Promise<TrainPreviewRow[]> {
  return isTauri()
    ? guarded((token) => commands.trainPreview(token, model, dataset, settings, rows))
    : demoTrainRefused();
}
