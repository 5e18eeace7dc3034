import { DemoBadge } from "../../components/DemoBadge";
import { ErrorNotice } from "../../components/ErrorNotice";
import { InfoList } from "../../components/ui/InfoList";
import { Section } from "../../components/ui/Section";
import { useAppInfo } from "../../stores/app-info";

export function AboutSection() {
  const { status, info, error, load } = useAppInfo();

  return (
    <Section
      title="About"
      description="This build and where it keeps your data."
      aside={<DemoBadge />}
      testId="settings-about"
    >
      {status === "error" ? <ErrorNotice error={error} onRetry={() => void load({ force: true })} /> : null}
      {status === "ready" ? (
        <InfoList
          rows={[
            { label: "Version", value: info.version, testId: "about-version" },
            { label: "Data folder", value: info.dataDir, mono: true, testId: "about-data-dir" },
            { label: "Database", value: info.databasePath, mono: true, testId: "about-database" },
            { label: "Log file", value: info.logFile, mono: true, testId: "about-log-file" },
          ]}
        />
      ) : null}
      {status === "idle" || status === "loading" ? <p className="text-sm text-zinc-500">Loading…</p> : null}
    </Section>
  );
}
