import { Cpu } from "lucide-react";
import { formatHardwareLine } from "../../lib/format";
import { useAppInfo } from "../../stores/app-info";

/** One line at the foot of the sidebar: what this machine can run on. */
export function HardwareStatus() {
  const { status, info, error } = useAppInfo();

  let text = "Detecting hardware…";
  let title: string | undefined;
  if (status === "ready") {
    text = formatHardwareLine(info.hardware);
    title = `${info.hardware.cpuModel} · ${info.hardware.os}`;
  } else if (status === "error") {
    text = "Hardware unknown";
    title = `${error.code}: ${error.message}`;
  }

  return (
    <div
      data-testid="hardware-status"
      title={title}
      className="flex items-center gap-2 truncate px-3 text-xs text-zinc-500 dark:text-zinc-400"
    >
      <Cpu aria-hidden className="size-3.5 shrink-0" />
      <span className="truncate">{text}</span>
    </div>
  );
}
