import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import { createSettingsStorage, readLocalSetting } from "../lib/settings-storage";

export type ThemePreference = "light" | "dark" | "system";
export type ResolvedTheme = "light" | "dark";

export const THEME_PREFERENCES: readonly ThemePreference[] = ["light", "dark", "system"];
export const THEME_STORAGE_KEY = "loris.theme";

type ThemeState = {
  preference: ThemePreference;
  setPreference: (preference: ThemePreference) => void;
};

function isThemePreference(value: unknown): value is ThemePreference {
  return typeof value === "string" && (THEME_PREFERENCES as readonly string[]).includes(value);
}

/** Reads the persisted preference synchronously so the first paint is already in the right theme. */
export function readPersistedPreference(): ThemePreference {
  const raw = readLocalSetting(THEME_STORAGE_KEY);
  if (!raw) return "system";
  try {
    const parsed = JSON.parse(raw) as { state?: { preference?: unknown } };
    const preference = parsed.state?.preference;
    return isThemePreference(preference) ? preference : "system";
  } catch {
    return "system";
  }
}

export const useThemeStore = create<ThemeState>()(
  persist(
    (set) => ({
      preference: readPersistedPreference(),
      setPreference: (preference) => set({ preference }),
    }),
    {
      name: THEME_STORAGE_KEY,
      version: 1,
      storage: createJSONStorage(createSettingsStorage),
      partialize: (state) => ({ preference: state.preference }),
      merge: (persisted, current) => {
        const preference = (persisted as { preference?: unknown } | undefined)?.preference;
        return isThemePreference(preference) ? { ...current, preference } : current;
      },
    },
  ),
);

const DARK_QUERY = "(prefers-color-scheme: dark)";

function systemPrefersDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches;
}

export function resolveTheme(preference: ThemePreference, prefersDark: boolean): ResolvedTheme {
  if (preference === "system") return prefersDark ? "dark" : "light";
  return preference;
}

/** Puts (or removes) the `dark` class on <html>, which Tailwind's `dark:` variant keys off. */
export function applyTheme(preference: ThemePreference, root: HTMLElement = document.documentElement): ResolvedTheme {
  const resolved = resolveTheme(preference, systemPrefersDark());
  root.classList.toggle("dark", resolved === "dark");
  root.dataset.theme = resolved;
  return resolved;
}

/** Applies the theme now and keeps it applied as the preference or the OS setting changes. */
export function startThemeSync(): () => void {
  applyTheme(useThemeStore.getState().preference);
  const unsubscribe = useThemeStore.subscribe((state) => applyTheme(state.preference));

  const media = typeof window.matchMedia === "function" ? window.matchMedia(DARK_QUERY) : null;
  const onSystemChange = () => applyTheme(useThemeStore.getState().preference);
  media?.addEventListener("change", onSystemChange);

  return () => {
    unsubscribe();
    media?.removeEventListener("change", onSystemChange);
  };
}
