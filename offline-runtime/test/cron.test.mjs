import assert from "node:assert/strict";
import { test } from "node:test";
import { CronSyntaxError, parseCron } from "../cron.mjs";
import { startCronClock } from "../scheduled.mjs";

const utc = (text) => Date.parse(`${text}Z`);
const iso = (ms) => new Date(ms).toISOString().slice(0, 16);
const nextAfter = (expression, text) => iso(parseCron(expression).next(utc(text)));

test("the project's crons: every minute, and hourly at :17", () => {
  assert.equal(nextAfter("* * * * *", "2026-03-01T12:00:30"), "2026-03-01T12:01");
  assert.equal(nextAfter("* * * * *", "2026-03-01T12:01:00"), "2026-03-01T12:02"); // strictly after
  assert.equal(nextAfter("17 * * * *", "2026-03-01T12:17:00"), "2026-03-01T13:17");
  assert.equal(nextAfter("17 * * * *", "2026-12-31T23:30:00"), "2027-01-01T00:17");
});

test("lists, ranges and steps", () => {
  assert.equal(nextAfter("*/15 * * * *", "2026-03-01T12:01"), "2026-03-01T12:15");
  assert.equal(nextAfter("10-50/20 * * * *", "2026-03-01T12:31"), "2026-03-01T12:50");
  assert.equal(nextAfter("7/25 * * * *", "2026-03-01T12:33"), "2026-03-01T12:57");
  assert.equal(nextAfter("0 9,17 * * *", "2026-03-01T09:00"), "2026-03-01T17:00");
  assert.equal(nextAfter("0 0 1 jan,Jul *", "2026-03-01T00:00"), "2026-07-01T00:00");
});

test("weekdays count from 1 = Sunday, as Cloudflare's examples say", () => {
  // 2026-03-01 is a Sunday.
  assert.equal(nextAfter("0 17 * * sun", "2026-02-26T00:00"), "2026-03-01T17:00");
  assert.equal(nextAfter("0 17 * * 1", "2026-02-26T00:00"), "2026-03-01T17:00");
  assert.equal(nextAfter("10 7 * * mon-fri", "2026-02-28T00:00"), "2026-03-02T07:10");
  assert.equal(nextAfter("10 7 * * 2-6", "2026-02-28T00:00"), "2026-03-02T07:10");
});

test("the Quartz extensions: L, W, LW, nL and n#k", () => {
  assert.equal(nextAfter("0 0 L * *", "2026-02-02T00:00"), "2026-02-28T00:00");
  assert.equal(nextAfter("0 18 * * 6L", "2026-03-01T00:00"), "2026-03-27T18:00"); // last Friday
  assert.equal(nextAfter("0 18 * * friL", "2026-03-01T00:00"), "2026-03-27T18:00");
  assert.equal(nextAfter("59 23 LW * *", "2026-05-01T00:00"), "2026-05-29T23:59"); // the 31st is a Sunday
  assert.equal(nextAfter("0 0 15W * *", "2026-08-01T12:00"), "2026-08-14T00:00"); // the 15th is a Saturday
  assert.equal(nextAfter("0 0 1W * *", "2026-07-31T00:00"), "2026-08-03T00:00"); // the 1st is a Saturday
  assert.equal(nextAfter("0 12 * * 6#3", "2026-03-01T00:00"), "2026-03-20T12:00"); // third Friday
  assert.equal(nextAfter("0 0 * * L", "2026-03-01T00:00"), "2026-03-07T00:00"); // L alone: Saturday
});

test("both day fields restricted: either one fires, as cron(8) does", () => {
  // The 1st of the month or any Monday.
  assert.equal(nextAfter("0 0 1 * 2", "2026-03-01T00:00"), "2026-03-02T00:00");
  assert.equal(nextAfter("0 0 1 * 2", "2026-03-30T00:00"), "2026-04-01T00:00");
});

test("a leap-day schedule waits for the next leap year", () => {
  assert.equal(nextAfter("0 0 29 2 *", "2026-03-01T00:00"), "2028-02-29T00:00");
});

test("matches() says whether a minute is due", () => {
  const cron = parseCron("17 * * * *");
  assert.ok(cron.matches(utc("2026-03-01T05:17")));
  assert.ok(!cron.matches(utc("2026-03-01T05:18")));
});

test("expressions Cloudflare would refuse are refused, with the reason", () => {
  for (const [expression, reason] of [
    ["* * * *", /expected 5 fields/],
    ["60 * * * *", /minute takes 0-59/],
    ["* 24 * * *", /hour takes 0-23/],
    ["* * 0 * *", /day of month takes 1-31/],
    ["* * * 13 *", /month takes 1-12 or JAN-DEC/],
    ["* * * * 0", /day of week takes 1-7 or SUN-SAT/],
    ["* * * * 8", /day of week takes 1-7/],
    ["*/0 * * * *", /bad step/],
    ["5-1 * * * *", /empty minute range/],
    ["L * * * *", /minute takes 0-59/],
    ["* * ? * *", /day of month/],
    ["0 0 31 2 *", /never fires/],
  ]) {
    assert.throws(
      () => parseCron(expression).next(utc("2026-01-01T00:00")),
      (error) => error instanceof CronSyntaxError && reason.test(error.message),
      expression,
    );
  }
});

/** A fake clock: timers run when the test advances time. */
function fakeClock(start) {
  let now = start;
  let timers = [];
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => {
      timers = timers.filter((t) => t !== timer);
    },
    advanceTo(ms) {
      while (true) {
        const due = timers.filter((t) => t.at <= ms).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = ms;
    },
  };
}

test("the clock fires each cron at its due minutes with that minute as scheduledTime", () => {
  const clock = fakeClock(utc("2026-03-01T12:15:30"));
  const fired = [];
  const stop = startCronClock(["* * * * *", "17 * * * *"], (cron, time) => fired.push([cron, iso(time)]), clock);
  clock.advanceTo(utc("2026-03-01T12:18:10"));
  assert.deepEqual(fired, [
    ["* * * * *", "2026-03-01T12:16"],
    ["* * * * *", "2026-03-01T12:17"],
    ["17 * * * *", "2026-03-01T12:17"],
    ["* * * * *", "2026-03-01T12:18"],
  ]);
  stop();
  clock.advanceTo(utc("2026-03-01T13:00:00"));
  assert.equal(fired.length, 4);
});

test("a long wait is taken in steps, and missed runs are skipped rather than caught up", () => {
  const clock = fakeClock(utc("2026-03-01T00:00:00"));
  const fired = [];
  startCronClock(["0 0 1 * *"], (_cron, time) => fired.push(iso(time)), clock); // monthly
  clock.advanceTo(utc("2026-05-01T00:00:30"));
  assert.deepEqual(fired, ["2026-04-01T00:00", "2026-05-01T00:00"]);

  const late = fakeClock(utc("2026-03-01T12:00:30"));
  const times = [];
  const original = late.setTimeout;
  let calls = 0;
  // The machine sleeps for ten minutes during the second wait.
  late.setTimeout = (fn, ms) => original(fn, ++calls === 2 ? ms + 10 * 60000 : ms);
  startCronClock(["* * * * *"], (_cron, time) => times.push(iso(time)), late);
  late.advanceTo(utc("2026-03-01T12:12:30"));
  // The run it waited for fires late; 12:03 to 12:11 are skipped; the clock is on time again.
  assert.deepEqual(times, ["2026-03-01T12:01", "2026-03-01T12:02", "2026-03-01T12:12"]);
});
