import { ThemeToggle } from "../../components/ThemeToggle";
import { Section } from "../../components/ui/Section";

export function AppearanceSection() {
  return (
    <Section title="Appearance" description="System follows your operating system's light or dark setting." testId="settings-appearance">
      <div className="flex items-center justify-between gap-4">
        <span className="text-sm font-medium" id="theme-label">
          Theme
        </span>
        <ThemeToggle />
      </div>
    </Section>
  );
}
