/**
 * Schedules of scheduled actions (pure): `at(yyyy-mm-ddThh:mm:ss)`, `rate(n unit)` and
 * `cron(minutes hours day-of-month month day-of-week year)`, with an IANA time zone for `at` and
 * `cron` (DST-aware: local wall-clock times).
 * https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
 */

const MINUTE = 60_000;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export class ScheduleError extends Error {}

export type Schedule =
  | { kind: "at"; local: LocalTime }
  | { kind: "rate"; everyMs: number }
  | { kind: "cron"; minutes: Set<number>; hours: Set<number>; dom: DomRule; months: Set<number>; dow: DowRule; years: Set<number> | undefined };

interface LocalTime {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}
type DomRule = { any: true } | { any: false; days: Set<number>; last: boolean; weekday: number | undefined };
type DowRule = { any: true } | { any: false; days: Set<number>; nth: [number, number] | undefined; lastOf: number | undefined };

export function parseSchedule(expr: string): Schedule {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expr);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) throw new ScheduleError("Invalid at expression");
    return { kind: "at", local: { y, mo, d, h, mi, s } };
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n < 1 || (n === 1) !== !unit.endsWith("s")) throw new ScheduleError("Invalid rate expression");
    const ms = unit.startsWith("minute") ? MINUTE : unit.startsWith("hour") ? 60 * MINUTE : 1440 * MINUTE;
    return { kind: "rate", everyMs: n * ms };
  }
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (cron) {
    let fields = cron[1]!.trim().split(/\s+/);
    if (fields.length === 7) fields = fields.slice(1); // a leading seconds field is accepted, not second-precise
    if (fields.length !== 6) throw new ScheduleError("Invalid cron expression");
    const [mi, h, dom, mo, dow, y] = fields as [string, string, string, string, string, string];
    if ((dom === "?") === (dow === "?")) {
      throw new ScheduleError("Invalid cron expression: one of day-of-month and day-of-week must be '?'");
    }
    return {
      kind: "cron",
      minutes: set(mi, 0, 59),
      hours: set(h, 0, 23),
      dom: domRule(dom),
      months: set(mo, 1, 12, MONTHS),
      dow: dowRule(dow),
      years: y === "*" ? undefined : set(y, 1970, 2199),
    };
  }
  throw new ScheduleError("Invalid schedule expression");
}

function set(field: string, lo: number, hi: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  const num = (s: string) => {
    const i = names?.indexOf(s.toUpperCase()) ?? -1;
    const n = i >= 0 ? i + lo : Number(s);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new ScheduleError(`Invalid cron field '${field}'`);
    return n;
  };
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleError(`Invalid cron field '${field}'`);
    let a: number;
    let b: number;
    if (range === "*" || range === "?") [a, b] = [lo, hi];
    else if (range.includes("-")) {
      const [x, y] = range.split("-") as [string, string];
      [a, b] = [num(x), num(y)];
    } else {
      a = num(range);
      b = stepText === undefined ? a : hi;
    }
    for (let v = a; v <= b; v += step) out.add(v);
  }
  return out;
}

function domRule(field: string): DomRule {
  if (field === "?" || field === "*") return { any: true };
  if (field === "L") return { any: false, days: new Set(), last: true, weekday: undefined };
  const w = /^(\d{1,2})W$/.exec(field);
  if (w) return { any: false, days: new Set(), last: false, weekday: Number(w[1]) };
  return { any: false, days: set(field, 1, 31), last: false, weekday: undefined };
}

function dowRule(field: string): DowRule {
  if (field === "?" || field === "*") return { any: true };
  const nth = /^([1-7A-Za-z]{1,3})#([1-5])$/.exec(field);
  if (nth) return { any: false, days: new Set(), nth: [dowNum(nth[1]!), Number(nth[2])], lastOf: undefined };
  const last = /^([1-7A-Za-z]{1,3})L$/.exec(field);
  if (last) return { any: false, days: new Set(), nth: undefined, lastOf: dowNum(last[1]!) };
  // CloudWatch Events numbering: 1 = SUN … 7 = SAT.
  const days = new Set([...set(field.replace(/[A-Za-z]{3}/g, (n) => String(DAYS.indexOf(n.toUpperCase()) + 1)), 1, 7)].map((d) => d - 1));
  return { any: false, days, nth: undefined, lastOf: undefined };
}

function dowNum(s: string): number {
  const i = DAYS.indexOf(s.toUpperCase());
  if (i >= 0) return i;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 7) throw new ScheduleError("Invalid day of week");
  return n - 1;
}

/** Local wall-clock fields of an instant in a time zone. */
function local(ms: number, tz: string): LocalTime & { dow: number } {
  const parts = formatter(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const h = get("hour");
  return { y: get("year"), mo: get("month"), d: get("day"), h: h === 24 ? 0 : h, mi: get("minute"), s: get("second"), dow: new Date(Date.UTC(get("year"), get("month") - 1, get("day"))).getUTCDay() };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` is a time zone name this runtime knows. */
export function validTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The instant a local wall-clock time in `tz` names (the later one in a DST overlap is not chosen). */
function instantOf(t: LocalTime, tz: string): number {
  const guess = Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s);
  let ms = guess;
  for (let i = 0; i < 3; i++) {
    const l = local(ms, tz);
    const asUtc = Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s);
    ms = guess - (asUtc - ms);
  }
  return ms;
}

/**
 * The first run strictly after `after` (ms) and not before `start`, or undefined when there is
 * none (an `at` in the past, a cron whose years are over). `rate` counts from `origin`.
 */
export function nextRun(s: Schedule, after: number, tz: string, origin: number): number | undefined {
  switch (s.kind) {
    case "at": {
      const t = instantOf(s.local, tz);
      return t > after ? t : undefined;
    }
    case "rate": {
      const k = Math.floor((after - origin) / s.everyMs) + 1;
      return origin + Math.max(1, k) * s.everyMs;
    }
    case "cron":
      return nextCron(s, after, tz);
  }
}

function nextCron(s: Extract<Schedule, { kind: "cron" }>, after: number, tz: string): number | undefined {
  // Walk whole minutes; skip a non-matching hour or day in one step.
  let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  const limit = after + 5 * 366 * 1440 * MINUTE;
  while (t <= limit) {
    const l = local(t, tz);
    if (s.years && !s.years.has(l.y)) {
      t += 60 * MINUTE * 24 - (l.h * 60 + l.mi) * MINUTE;
      continue;
    }
    if (!s.months.has(l.mo) || !dayMatches(s, l)) {
      t += (24 * 60 - (l.h * 60 + l.mi)) * MINUTE;
      continue;
    }
    if (!s.hours.has(l.h)) {
      t += (60 - l.mi) * MINUTE;
      continue;
    }
    if (s.minutes.has(l.mi)) return t;
    t += MINUTE;
  }
  return undefined;
}

function dayMatches(s: Extract<Schedule, { kind: "cron" }>, l: LocalTime & { dow: number }): boolean {
  const daysInMonth = new Date(Date.UTC(l.y, l.mo, 0)).getUTCDate();
  const dom = s.dom;
  if (!dom.any) {
    if (dom.last) return l.d === daysInMonth;
    if (dom.weekday !== undefined) {
      // Nearest weekday to that day within the month.
      let target = Math.min(dom.weekday, daysInMonth);
      const wd = new Date(Date.UTC(l.y, l.mo - 1, target)).getUTCDay();
      if (wd === 6) target = target === 1 ? 3 : target - 1;
      else if (wd === 0) target = target === daysInMonth ? target - 2 : target + 1;
      return l.d === target;
    }
    return dom.days.has(l.d);
  }
  const dow = s.dow;
  if (dow.any) return true;
  if (dow.nth) return l.dow === dow.nth[0] && Math.ceil(l.d / 7) === dow.nth[1];
  if (dow.lastOf !== undefined) return l.dow === dow.lastOf && l.d + 7 > daysInMonth;
  return dow.days.has(l.dow);
}
