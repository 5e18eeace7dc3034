import { useEffect, useState } from "react";

/** A wait that started at `startedAt` (ms since the epoch) and lasts `seconds`. */
export type Countdown = { startedAt: number; seconds: number };

const TICK_MS = 500;

/** Whole seconds left of `countdown` (0 when there is none), re-rendering as they tick down. */
export function useCountdown(countdown: Countdown | null): number {
  const [tick, setTick] = useState<{ of: Countdown; now: number } | null>(null);

  useEffect(() => {
    if (countdown === null) return;
    const end = countdown.startedAt + countdown.seconds * 1000;
    const id = setInterval(() => {
      const now = Date.now();
      setTick({ of: countdown, now });
      if (now >= end) clearInterval(id);
    }, TICK_MS);
    return () => clearInterval(id);
  }, [countdown]);

  if (countdown === null) return 0;
  if (tick?.of !== countdown) return Math.max(0, Math.ceil(countdown.seconds));
  const left = (countdown.startedAt + countdown.seconds * 1000 - tick.now) / 1000;
  return Math.max(0, Math.ceil(left));
}
