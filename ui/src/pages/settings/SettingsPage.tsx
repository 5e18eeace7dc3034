import { JobsPanel } from "../../components/JobsPanel";
import { PageHeader } from "../../components/ui/PageHeader";
import { AboutSection } from "./AboutSection";
import { AppearanceSection } from "./AppearanceSection";
import { HardwareSection } from "./HardwareSection";
import { LanApiSection } from "./LanApiSection";
import { ModelFoldersSection } from "./ModelFoldersSection";
import { SecuritySection } from "./SecuritySection";

export function SettingsPage() {
  return (
    <div data-testid="page-settings">
      <PageHeader title="Settings" description="Storage, hardware, the LAN API, security and appearance." />
      <div className="mx-auto max-w-4xl space-y-6 px-8 py-6">
        <AboutSection />
        <HardwareSection />
        <ModelFoldersSection />
        <LanApiSection />
        <SecuritySection />
        <AppearanceSection />
        <JobsPanel />
      </div>
    </div>
  );
}
