import assert from "node:assert/strict";
import { test } from "node:test";
import { nextRun, parseSchedule, ScheduleError } from "./schedule.ts";

const at = (iso: string) => Date.parse(iso);
const next = (expr: string, after: string, tz = "UTC", origin = after) => {
  const t = nextRun(parseSchedule(expr), at(after), tz, at(origin));
  return t === undefined ? undefined : new Date(t).toISOString();
};

test("cron: every 5 minutes, weekdays at 09:00 local time (DST-aware), last day of month", () => {
  assert.equal(next("cron(0/5 * * * ? *)", "2026-06-01T10:02:00Z"), "2026-06-01T10:05:00.000Z");
  // Europe/Paris is UTC+2 in June, UTC+1 in January.
  assert.equal(next("cron(0 9 ? * MON-FRI *)", "2026-06-05T08:00:00Z", "Europe/Paris"), "2026-06-08T07:00:00.000Z");
  assert.equal(next("cron(0 9 ? * MON-FRI *)", "2026-01-05T07:00:00Z", "Europe/Paris"), "2026-01-05T08:00:00.000Z");
  assert.equal(next("cron(30 23 L * ? *)", "2026-02-10T00:00:00Z"), "2026-02-28T23:30:00.000Z");
  assert.equal(next("cron(0 12 ? * 2#1 *)", "2026-06-02T00:00:00Z"), "2026-07-06T12:00:00.000Z", "first Monday");
  assert.equal(next("cron(0 0 1 1 ? 2025)", "2026-01-01T00:00:00Z"), undefined, "years over");
});

test("at and rate", () => {
  assert.equal(next("at(2026-07-01T08:30:00)", "2026-06-01T00:00:00Z", "America/New_York"), "2026-07-01T12:30:00.000Z");
  assert.equal(next("at(2026-07-01T08:30:00)", "2026-08-01T00:00:00Z"), undefined);
  assert.equal(next("rate(15 minutes)", "2026-06-01T10:20:00Z", "UTC", "2026-06-01T10:00:00Z"), "2026-06-01T10:30:00.000Z");
  assert.equal(next("rate(1 day)", "2026-06-01T10:00:00Z", "UTC", "2026-06-01T10:00:00Z"), "2026-06-02T10:00:00.000Z");
});

test("bad expressions", () => {
  for (const bad of ["cron(0 9 * * * *)", "cron(0 9 ? * ? *)", "rate(1 minutes)", "rate(0 minutes)", "at(2026-13-01T00:00:00)", "every 5 minutes", "cron(61 * * * ? *)"]) {
    assert.throws(() => parseSchedule(bad), ScheduleError, bad);
  }
});
