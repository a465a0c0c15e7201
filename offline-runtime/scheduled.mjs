// Scheduled (cron) events. Like `wrangler dev --test-scheduled`, the offline runtime fires
// them on request — GET /cdn-cgi/handler/scheduled?cron=<expression> — rather than on a clock,
// so that tests and people decide when a cron run happens.

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
