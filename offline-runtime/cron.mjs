// Cron expressions as Cloudflare's Cron Triggers accept them: five fields, in UTC —
// minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC), day of week
// (1-7 or SUN-SAT, 1 being Sunday) — with `*`, lists `,`, ranges `-` and steps `/` in every
// field, and the Quartz-style extensions Cloudflare documents: `L` (last day of the month),
// `LW` (its last weekday) and `15W` (the weekday nearest the 15th) in the day of month;
// `L` (Saturday), `6L` (the month's last Friday) and `6#3` (its third Friday) in the day of
// week. When both day fields are restricted, a day matching either one fires, as cron(8) does.

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day of week", min: 1, max: 7, names: WEEKDAYS },
];

export class CronSyntaxError extends Error {
  name = "CronSyntaxError";
}

function number(text, field, expression) {
  const upper = text.toUpperCase();
  const index = field.names?.indexOf(upper) ?? -1;
  const value = index >= 0 ? index + 1 : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= field.min && value <= field.max)) {
    throw new CronSyntaxError(
      `cron "${expression}": ${field.name} takes ${field.min}-${field.max}` +
        (field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : "") +
        `, got "${text}"`,
    );
  }
  return value;
}

/** `*`, `5`, `1-5`, `*\/15`, `10-50/20`, `7/5`, lists of those → the set of values. */
function plainValues(text, field, expression) {
  const values = new Set();
  for (const item of text.split(",")) {
    const [range, stepText, extra] = item.split("/");
    if (extra !== undefined || range === "")
      throw new CronSyntaxError(`cron "${expression}": bad ${field.name} "${item}"`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new CronSyntaxError(`cron "${expression}": bad step in ${field.name} "${item}"`);
    }
    let low;
    let high;
    if (range === "*") [low, high] = [field.min, field.max];
    else if (range.includes("-")) {
      const [a, b] = range.split("-");
      [low, high] = [number(a, field, expression), number(b, field, expression)];
      if (low > high) throw new CronSyntaxError(`cron "${expression}": empty ${field.name} range "${range}"`);
    } else {
      low = number(range, field, expression);
      high = stepText === undefined ? low : field.max;
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

const daysInMonth = (year, month0) => new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
const weekdayOf = (year, month0, day) => new Date(Date.UTC(year, month0, day)).getUTCDay(); // 0 = Sunday

/** The weekday (Mon-Fri) nearest `day` within its month, as Quartz's `W` defines it. */
function nearestWeekday(year, month0, day) {
  const last = daysInMonth(year, month0);
  const target = Math.min(day, last);
  const weekday = weekdayOf(year, month0, target);
  if (weekday === 6) return target === 1 ? 3 : target - 1; // Saturday → Friday (or Monday the 3rd)
  if (weekday === 0) return target === last ? target - 2 : target + 1; // Sunday → Monday (or Friday)
  return target;
}

/** Day-of-month field → predicate (year, month0, day) → boolean. */
function dayOfMonthMatcher(text, expression) {
  const field = FIELDS[2];
  if (text === "*") return null;
  const tests = text.split(",").map((item) => {
    const upper = item.toUpperCase();
    if (upper === "L") return (y, m, d) => d === daysInMonth(y, m);
    if (upper === "LW") return (y, m, d) => d === nearestWeekday(y, m, daysInMonth(y, m));
    const weekday = upper.match(/^(\d+)W$/);
    if (weekday) {
      const day = number(weekday[1], field, expression);
      return (y, m, d) => d === nearestWeekday(y, m, day);
    }
    const values = plainValues(item, field, expression);
    return (_y, _m, d) => values.has(d);
  });
  return (y, m, d) => tests.some((t) => t(y, m, d));
}

/** Day-of-week field (1 = Sunday) → predicate (year, month0, day) → boolean. */
function dayOfWeekMatcher(text, expression) {
  const field = FIELDS[4];
  if (text === "*") return null;
  const tests = text.split(",").map((item) => {
    const upper = item.toUpperCase();
    if (upper === "L") return (y, m, d) => weekdayOf(y, m, d) === 6;
    const last = upper.match(/^(\w+)L$/);
    if (last) {
      const wanted = number(last[1], field, expression) - 1;
      return (y, m, d) => weekdayOf(y, m, d) === wanted && d + 7 > daysInMonth(y, m);
    }
    const nth = upper.match(/^(\w+)#([1-5])$/);
    if (nth) {
      const wanted = number(nth[1], field, expression) - 1;
      const n = Number(nth[2]);
      return (y, m, d) => weekdayOf(y, m, d) === wanted && Math.ceil(d / 7) === n;
    }
    const values = plainValues(item, field, expression);
    return (y, m, d) => values.has(weekdayOf(y, m, d) + 1);
  });
  return (y, m, d) => tests.some((t) => t(y, m, d));
}

/** A parsed expression: `matches(ms)` for a whole UTC minute, `next(afterMs)`. */
export function parseCron(expression) {
  const parts = String(expression).trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new CronSyntaxError(`cron "${expression}": expected 5 fields (minute hour day month weekday)`);
  }
  const [minuteText, hourText, domText, monthText, dowText] = parts;
  const minutes = plainValues(minuteText, FIELDS[0], expression);
  const hours = plainValues(hourText, FIELDS[1], expression);
  const months = plainValues(monthText, FIELDS[3], expression);
  const byDate = dayOfMonthMatcher(domText, expression);
  const byWeekday = dayOfWeekMatcher(dowText, expression);
  const dayMatches = (y, m, d) => {
    if (byDate && byWeekday) return byDate(y, m, d) || byWeekday(y, m, d);
    if (byDate) return byDate(y, m, d);
    if (byWeekday) return byWeekday(y, m, d);
    return true;
  };

  const matches = (ms) => {
    const t = new Date(ms);
    return (
      months.has(t.getUTCMonth() + 1) &&
      dayMatches(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()) &&
      hours.has(t.getUTCHours()) &&
      minutes.has(t.getUTCMinutes())
    );
  };

  /** The first whole minute strictly after `afterMs` at which the expression fires. */
  const next = (afterMs) => {
    const t = new Date(Math.floor(afterMs / 60000) * 60000 + 60000);
    const limit = t.getTime() + 8 * 366 * 24 * 3600 * 1000; // leap-day schedules fire within 8 years
    while (t.getTime() <= limit) {
      if (!months.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0);
      } else if (!dayMatches(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate())) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0);
      } else if (!hours.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0);
      } else if (!minutes.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1);
      } else {
        return t.getTime();
      }
    }
    throw new CronSyntaxError(`cron "${expression}" never fires`);
  };

  return { expression, matches, next };
}
