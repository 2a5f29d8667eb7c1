import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import type { ConsoleAws } from "./aws.ts";
import { readCookie, SESSION_COOKIE, SESSION_IDLE_MS, sessionCookie, Sessions } from "./sessions.ts";

const identity = { accountId: "000000000000", arn: "arn:aws:iam::000000000000:root", accessKeyId: "K", region: "us-east-1" };

function fakeAws(): ConsoleAws & { closed: number } {
  const a = { closed: 0, close: () => a.closed++ };
  return a as unknown as ConsoleAws & { closed: number };
}

test("a session lives while used, and is forgotten after 12 idle hours", () => {
  const clock = new ManualClock();
  const sessions = new Sessions(clock);
  const aws = fakeAws();
  const s = sessions.create(identity, aws);
  assert.notEqual(s.id, s.token);
  assert.ok(s.id.length >= 43 && s.token.length >= 43);
  const cookie = sessionCookie(s.id).split(";")[0]!;
  assert.equal(readCookie(`other=1; ${cookie}`, SESSION_COOKIE), s.id);
  clock.advance(SESSION_IDLE_MS - 1);
  assert.equal(sessions.fromCookie(cookie)?.id, s.id, "used just in time: still there");
  clock.advance(SESSION_IDLE_MS + 1);
  assert.equal(sessions.fromCookie(cookie), undefined);
  assert.equal(aws.closed, 1, "its clients are released");
  assert.equal(sessions.size, 0);
  assert.equal(sessions.fromCookie("slipway_console=forged"), undefined);
  assert.equal(sessions.fromCookie(undefined), undefined);
});
