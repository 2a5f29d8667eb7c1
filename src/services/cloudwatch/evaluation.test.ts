import assert from "node:assert/strict";
import { test } from "node:test";
import { decide, evaluationRange, javaDouble, reasonText, type TreatMissing } from "./evaluation.ts";

/** "0 - X - X": 0 = not breaching, X = breaching, - = missing (oldest first), as in AWS's tables. */
function pts(row: string) {
  return row.split(" ").map((c, i) => ({ ts: i * 60, value: c === "-" ? undefined : c === "X" ? 10 : 0 }));
}
const gt5 = (v: number) => v > 5;
const state = (row: string, m: number, treat: TreatMissing) => decide(pts(row), 3, m, treat, gt5).state;

test("evaluation range: more periods than N so older points stand in for missing ones", () => {
  assert.equal(evaluationRange(3), 5);
  assert.equal(evaluationRange(15), 20);
  assert.equal(evaluationRange(1), 3);
});

test("3 of 3: enough real points use the newest three whatever the treatment", () => {
  for (const t of ["missing", "ignore", "breaching", "notBreaching"] as const) {
    assert.equal(state("0 - X - X", 3, t), "OK");
    assert.equal(state("0 X X X -", 3, t), "ALARM");
    assert.equal(state("X X X 0 -", 3, t), "OK");
  }
});

test("no data at all: INSUFFICIENT_DATA, keep, ALARM or OK by treatment", () => {
  assert.equal(state("- - - - -", 3, "missing"), "INSUFFICIENT_DATA");
  assert.equal(state("- - - - -", 3, "ignore"), "keep");
  assert.equal(state("- - - - -", 3, "breaching"), "ALARM");
  assert.equal(state("- - - - -", 3, "notBreaching"), "OK");
});

test("premature alarm: the breaching points so far already make M (documented rows)", () => {
  assert.equal(state("- - X - -", 3, "missing"), "ALARM");
  assert.equal(state("- - X - -", 3, "ignore"), "keep");
  assert.equal(state("0 - X - -", 2, "missing"), "OK");
  assert.equal(state("- - - - X", 3, "missing"), "OK");
  assert.equal(state("- - - X -", 3, "missing"), "OK");
  assert.equal(state("- - - X -", 3, "breaching"), "ALARM");
  assert.equal(state("- - - X -", 3, "notBreaching"), "OK");
});

test("reason texts as CloudWatch writes them", () => {
  const base = { n: 3, m: 3, explicitM: false, threshold: 0, operator: "GreaterThanThreshold", from: "OK" as const, treat: "missing" as const };
  const d = decide(
    [
      { ts: Date.UTC(2026, 7, 19, 5, 44) / 1000, value: 1 },
      { ts: Date.UTC(2026, 7, 19, 5, 47) / 1000, value: 3 },
      { ts: Date.UTC(2026, 7, 19, 5, 50) / 1000, value: 2 },
    ],
    3,
    3,
    "missing",
    (v) => v > 0,
  );
  assert.equal(
    reasonText(d, "ALARM", base),
    "Threshold Crossed: 3 datapoints [2.0 (19/08/26 05:50:00), 3.0 (19/08/26 05:47:00), 1.0 (19/08/26 05:44:00)] were greater than the threshold (0.0).",
  );
  assert.equal(
    reasonText(d, "ALARM", { ...base, explicitM: true, threshold: 0 }),
    "Threshold Crossed: 3 out of the last 3 datapoints [2.0 (19/08/26 05:50:00), 3.0 (19/08/26 05:47:00), 1.0 (19/08/26 05:44:00)] were greater than the threshold (0.0) (minimum 3 datapoints for OK -> ALARM transition).",
  );
  const ok = decide([{ ts: Date.UTC(2026, 7, 19, 9, 48) / 1000, value: 0 }], 1, 1, "missing", (v) => v > 0);
  assert.equal(
    reasonText(ok, "OK", { ...base, n: 1, m: 1, from: "ALARM" }),
    "Threshold Crossed: 1 datapoint [0.0 (19/08/26 09:48:00)] was not greater than the threshold (0.0).",
  );
  const none = decide([{ ts: 0, value: undefined }, { ts: 60, value: undefined }], 2, 2, "breaching", (v) => v > 0);
  assert.equal(
    reasonText(none, "ALARM", { ...base, n: 2, m: 2, treat: "breaching" }),
    "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].",
  );
  assert.equal(reasonText(none, "INSUFFICIENT_DATA", { ...base, n: 1 }), "Insufficient Data: 1 datapoint was unknown.");
});

test("numbers print as Java doubles", () => {
  assert.equal(javaDouble(70), "70.0");
  assert.equal(javaDouble(21.5), "21.5");
  assert.equal(javaDouble(0.0666851903306472), "0.0666851903306472");
  assert.equal(javaDouble(1e-5), "1.0E-5");
  assert.equal(javaDouble(12345678), "1.2345678E7");
});
