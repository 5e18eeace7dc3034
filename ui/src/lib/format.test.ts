import { describe, expect, it } from "vitest";
import { DEMO_APP_INFO } from "./demo-data";
import { formatBytes, formatCores, formatCountdown, formatHardwareLine } from "./format";

const GiB = 1024 ** 3;

describe("format", () => {
  it("formats byte counts", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(24 * GiB)).toBe("24 GB");
    expect(formatBytes(7.5 * GiB)).toBe("7.5 GB");
    expect(formatBytes(-1)).toBe("unknown");
  });

  it("summarises hardware in one line", () => {
    expect(formatHardwareLine(DEMO_APP_INFO.hardware)).toBe("CPU only · 24 GB RAM");
    expect(
      formatHardwareLine({
        ...DEMO_APP_INFO.hardware,
        gpus: [
          { name: "RTX 4090", vramTotalBytes: 24 * GiB },
          { name: "RTX 4090", vramTotalBytes: 24 * GiB },
        ],
      }),
    ).toBe("RTX 4090 (24 GB) +1 · 24 GB RAM");
  });

  it("describes cores when the physical count is unknown", () => {
    expect(formatCores({ ...DEMO_APP_INFO.hardware, physicalCores: null, logicalCores: 12 })).toBe("12 threads");
  });

  it("formats a countdown as m:ss", () => {
    expect(formatCountdown(42)).toBe("0:42");
    expect(formatCountdown(60)).toBe("1:00");
    expect(formatCountdown(75)).toBe("1:15");
    expect(formatCountdown(0.2)).toBe("0:01");
    expect(formatCountdown(-3)).toBe("0:00");
  });
});
