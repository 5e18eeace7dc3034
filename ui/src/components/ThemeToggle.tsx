import { Monitor, Moon, Sun, type LucideIcon } from "lucide-react";
import { useThemeStore, type ThemePreference } from "../stores/theme";
import { cx } from "./ui/cx";

const OPTIONS: Array<{ value: ThemePreference; label: string; icon: LucideIcon }> = [
  { value: "light", label: "Light", icon: Sun },
  { value: "dark", label: "Dark", icon: Moon },
  { value: "system", label: "System", icon: Monitor },
];

export function ThemeToggle() {
  const preference = useThemeStore((s) => s.preference);
  const setPreference = useThemeStore((s) => s.setPreference);

  return (
    <div role="radiogroup" aria-label="Theme" className="inline-flex rounded-md border border-zinc-300 p-0.5 dark:border-zinc-700">
      {OPTIONS.map(({ value, label, icon: Icon }) => {
        const selected = preference === value;
        return (
          <button
            key={value}
            type="button"
            role="radio"
            aria-checked={selected}
            data-testid={`theme-${value}`}
            onClick={() => setPreference(value)}
            className={cx(
              "inline-flex items-center gap-1.5 rounded px-3 py-1 text-sm transition-colors",
              selected
                ? "bg-indigo-600 text-white shadow-sm"
                : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800",
            )}
          >
            <Icon aria-hidden className="size-4" />
            {label}
          </button>
        );
      })}
    </div>
  );
}
