// The backend's types, from the generated bindings, in one place for the rest of the UI.
export type {
  ApiError,
  AppEvent,
  AppInfo,
  AuthStatus,
  AuthUser,
  FirstRunCredentials,
  HardwareSummary,
  JobRecord,
  JobState,
  JsonValue,
  SecretBackendInfo,
  Session,
} from "../bindings";
