// The backend's types as the webview receives them. tauri-specta emits a `_Serialize` form
// (what Rust sends) and a `_Deserialize` form (what Rust accepts) for each; the UI only reads
// what Rust sends, so it names those plainly here.
export type {
  ApiError_Serialize as ApiError,
  AppEvent_Serialize as AppEvent,
  AppInfo_Serialize as AppInfo,
  HardwareSummary_Serialize as HardwareSummary,
  JobRecord_Serialize as JobRecord,
  JobState,
  JsonValue,
} from "../bindings";
