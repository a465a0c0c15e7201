// Scheduled (cron) events. As on Cloudflare, each cron of wrangler.jsonc fires on its schedule
// (UTC, whole minutes; `scheduledTime` is the minute it was due), so a local server recovers
// and sweeps on its own. For tests, `--no-cron-clock` turns the clock off, and, like
// `wrangler dev --test-scheduled`, GET /cdn-cgi/handler/scheduled?cron=<expression>[&time=<ms>]
// fires one event on request.
import { parseCron } from "./cron.mjs";

export const SCHEDULED_PATH = "/cdn-cgi/handler/scheduled";

/** workerd's ScheduledController: `cron`, `scheduledTime`, `noRetry()`. */
export class ScheduledController {
  constructor(cron, scheduledTime) {
    this.cron = cron;
    this.scheduledTime = scheduledTime;
  }

  noRetry() {}
}

/** Runs the Worker's scheduled handler for the cron named in the URL (default: the first). */
export async function runScheduled(url, crons, python) {
  const cron = url.searchParams.get("cron") ?? crons[0] ?? "* * * * *";
  const time = Number(url.searchParams.get("time") ?? Date.now());
  await python.scheduled(new ScheduledController(cron, time));
  return cron;
}

// Node's timers overflow past 2**31 - 1 ms; a long wait is taken in steps of at most an hour.
const MAX_WAIT_MS = 3600 * 1000;

/**
 * Fires `fire(cron, scheduledTime)` for every cron at each minute it is due, until the
 * returned function is called. A run that is missed (the process was suspended) is skipped,
 * not caught up, as Cloudflare does. `clock` replaces Date.now/setTimeout in tests.
 */
export function startCronClock(crons, fire, clock = { now: Date.now, setTimeout, clearTimeout }) {
  const schedules = crons.map(parseCron);
  if (schedules.length === 0) return () => {};
  let timer;
  let stopped = false;
  const arm = (after) => {
    const due = Math.min(...schedules.map((s) => s.next(after)));
    const wait = () => {
      if (stopped) return;
      const now = clock.now();
      if (now < due) {
        timer = clock.setTimeout(wait, Math.min(due - now, MAX_WAIT_MS));
        timer?.unref?.();
        return;
      }
      for (const schedule of schedules) if (schedule.matches(due)) fire(schedule.expression, due);
      arm(Math.max(due, now - 60000 + 1)); // late by more than a minute: skip to the next due time
    };
    wait();
  };
  arm(clock.now());
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
