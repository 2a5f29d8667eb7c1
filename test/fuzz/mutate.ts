/**
 * The mutation engine: what a valid request becomes in a hostile or broken client's hands.
 *
 * - JSON bodies, structurally: a value anywhere replaced by null, a wrong type, a huge string, deep
 *   nesting, an odd number (1e308, -0, 2^53+1, 1.5, 1e400), an empty or prototype-named key; then
 *   as text: duplicate keys, truncation, bit flips, invalid UTF-8, junk bytes.
 * - Forms: parameters dropped, duplicated, renamed (odd list indexes: 0, -1, 99999999999999999999,
 *   deep dotted names), given wrong-typed, huge or percent-garbled values; Action and Version too.
 * - Headers: missing or wrong Content-Type, X-Amz-Target without a dot, unknown or huge, a
 *   credential scope with missing or junk parts, repeated headers.
 *
 * Each mutation is a function of the Rng only, so an input is reproduced by its seed.
 */
import { jsonDeeperThan } from "../../src/core/json-depth.ts";
import type { WireCall } from "./corpus.ts";
import type { Rng } from "./rng.ts";

const HUGE = [300, 5_000, 70_000, 1_100_000];
const DEEP = [10, 65, 1_000, 50_000];
const ODD_NUMBERS = ["1e308", "-0", "9007199254740993", "1.5", "1e400", "-1e400", "0.0000001", "-2147483649", "2147483648", "99999999999999999999999"];
const ODD_STRINGS = ["", " ", "\u0000", "\ud800", "\uffff", "%", "../../etc/passwd", "*", "?*?*", "a".repeat(64) + "*".repeat(64), "arn:aws:ecs:", "arn:::::", "\u202e", "null", "true", "0", "-1", "{}", "[]", "' OR 1=1 --", "<x>&amp;</x>", "\\"];

/** Mostly one mutation, sometimes two or three (so most inputs still reach a handler). */
function rounds(rng: Rng): number {
  const r = rng.next();
  return r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
}

export function mutateJsonCall(call: WireCall, rng: Rng): WireCall {
  let body = call.body;
  for (let i = 0, n = rounds(rng); i < n; i++) {
    const r = rng.next();
    if (r < 0.7) body = structural(body, rng);
    else if (r < 0.78) body = duplicateKey(body, rng);
    else body = bytewise(body, rng);
  }
  return maybeHeaders({ ...call, body }, rng);
}

export function mutateFormCall(call: WireCall, rng: Rng): WireCall {
  const params = [...new URLSearchParams(call.body.toString("utf8"))];
  let raw: string | undefined;
  for (let i = 0, n = rounds(rng); i < n; i++) {
    const r = rng.next();
    if (r < 0.9 || params.length === 0) mutateParams(params, rng);
    else raw = bytewise(Buffer.from(raw ?? new URLSearchParams(params).toString()), rng).toString("latin1");
  }
  const body = raw !== undefined ? Buffer.from(raw, "latin1") : Buffer.from(rng.chance(0.05) ? percentGarble(new URLSearchParams(params).toString(), rng) : new URLSearchParams(params).toString());
  const out: WireCall = { ...call, body };
  // Sometimes the whole form moves to the query string (a GET, as some clients send it).
  if (rng.chance(0.05)) return maybeHeaders({ ...out, method: "GET", url: `/?${body.toString("latin1")}`, body: Buffer.alloc(0) }, rng);
  return maybeHeaders(out, rng);
}

function structural(body: Buffer, rng: Rng): Buffer {
  // A body already made deep by an earlier round is mutated as bytes (its tree is too deep to walk).
  if (jsonDeeperThan(body.toString("utf8"), 200)) return bytewise(body, rng);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
  const slots = collect(doc);
  const replacement = oddValue(rng);
  if (slots.length === 0 || rng.chance(0.05)) return Buffer.from(replacement.text);
  const slot = rng.pick(slots);
  const current = slot.kind === "key" ? slot.parent[slot.key] : (slot.container as unknown[])[Number(slot.key)];
  if (rng.chance(0.6)) {
    // An odd value of the same kind: it passes the wire types and reaches the handler.
    const text = sameKind(current, rng);
    if (text !== undefined) {
      const marker = `__fuzz_${rng.int(1e9)}__`;
      slot.set(marker);
      return Buffer.from(JSON.stringify(doc).replace(JSON.stringify(marker), text));
    }
  }
  const r = rng.next();
  if (r < 0.15 && slot.kind === "key") {
    // Drop a member, or rename it to something odd.
    const v = slot.parent[slot.key];
    delete slot.parent[slot.key];
    if (rng.chance(0.5)) slot.parent[rng.pick(["__proto__", "constructor", "", "a".repeat(1000), slot.key.toUpperCase()])] = v;
    return Buffer.from(JSON.stringify(doc));
  }
  if (r < 0.25 && Array.isArray(slot.container)) {
    // A list grows: the same item many times, or nulls.
    const first = slot.container[0];
    const n = rng.pick([2, 100, 20_000]);
    const item = rng.chance(0.5) || JSON.stringify(first ?? null).length > 100 ? null : first;
    for (let i = 0; i < n; i++) slot.container.push(item);
    return Buffer.from(JSON.stringify(doc));
  }
  // Replace the value with an odd one, spliced in as text (numbers like 1e400 survive that way).
  const marker = `__fuzz_${rng.int(1e9)}__`;
  slot.set(marker);
  return Buffer.from(JSON.stringify(doc).replace(JSON.stringify(marker), replacement.text));
}

function sameKind(v: unknown, rng: Rng): string | undefined {
  if (typeof v === "string") return JSON.stringify(rng.chance(0.8) ? rng.pick(ODD_STRINGS) : "x".repeat(rng.pick(HUGE)));
  if (typeof v === "number") return rng.pick(ODD_NUMBERS.concat(["0", "-1", "2147483647", "4294967296"]));
  if (typeof v === "boolean") return rng.pick(["null", "true", "false"]);
  if (Array.isArray(v)) {
    const text = JSON.stringify(v);
    if (text.length > 10_000) return rng.pick(["[]", "[null]"]);
    return rng.pick(["[]", "[null]", `[${text.slice(1, -1)},${text.slice(1, -1)}]`, JSON.stringify(Array(rng.pick([101, 1001])).fill(v[0] ?? null))]);
  }
  return undefined;
}

interface Slot {
  readonly kind: "key" | "item";
  readonly parent: Record<string, unknown>;
  readonly key: string;
  readonly container: unknown;
  set(v: unknown): void;
}

function collect(doc: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 20 || typeof v !== "object" || v === null) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        out.push({ kind: "item", parent: {}, key: String(i), container: v, set: (x) => (v[i] = x) });
        walk(item, depth + 1);
      });
      return;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      out.push({ kind: "key", parent: o, key: k, container: o, set: (x) => (o[k] = x) });
      walk(o[k], depth + 1);
    }
  };
  walk(doc, 0);
  return out;
}

function oddValue(rng: Rng): { text: string } {
  const r = rng.next();
  if (r < 0.15) return { text: "null" };
  if (r < 0.3) return { text: rng.pick(ODD_NUMBERS) };
  if (r < 0.45) return { text: JSON.stringify(rng.pick(ODD_STRINGS)) };
  if (r < 0.55) return { text: JSON.stringify("x".repeat(rng.pick(HUGE))) };
  if (r < 0.65) {
    const d = rng.pick(DEEP);
    return rng.chance(0.5) ? { text: "[".repeat(d) + "]".repeat(d) } : { text: `${'{"a":'.repeat(d)}1${"}".repeat(d)}` };
  }
  if (r < 0.75) return { text: rng.pick(["true", "false", "{}", "[]", "[null]", '{"":null}', "[[]]", '[{"key":null,"value":null}]', '{"__proto__":{"x":1}}'] as const) };
  if (r < 0.85) return { text: String(rng.int(2 ** 31) * (rng.chance(0.5) ? -1 : 1)) };
  return { text: JSON.stringify(Object.fromEntries(Array.from({ length: 1 + rng.int(5) }, (_, i) => [`k${i}`, rng.pick([null, 1, "v", [], {}])]))) };
}

/** `{"a":1}` → `{"a":1,"a":"x"}` (the parser keeps the last; nothing may break on either). */
function duplicateKey(body: Buffer, rng: Rng): Buffer {
  const text = body.toString("utf8");
  const m = [...text.matchAll(/"([A-Za-z]+)":/g)];
  if (m.length === 0) return body;
  const hit = rng.pick(m);
  const at = hit.index ?? 0;
  const extra = `"${hit[1]}":${oddValue(rng).text},`;
  return Buffer.from(text.slice(0, at) + extra + text.slice(at));
}

function bytewise(body: Buffer, rng: Rng): Buffer {
  const r = rng.next();
  if (body.length === 0) return rng.bytes(1 + rng.int(64));
  if (r < 0.25) return body.subarray(0, rng.int(body.length));
  if (r < 0.5) {
    const out = Buffer.from(body);
    for (let i = 0, n = 1 + rng.int(4); i < n; i++) {
      const at = rng.int(out.length);
      out[at] = out[at]! ^ (1 << rng.int(8));
    }
    return out;
  }
  if (r < 0.75) {
    const bad = rng.pick([Buffer.from([0xff]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0x80])]);
    const at = rng.int(body.length + 1);
    return Buffer.concat([body.subarray(0, at), bad, body.subarray(at)]);
  }
  const at = rng.int(body.length + 1);
  return Buffer.concat([body.subarray(0, at), rng.bytes(1 + rng.int(32)), body.subarray(at)]);
}

function mutateParams(params: Array<[string, string]>, rng: Rng): void {
  const r = rng.next();
  // Action and Version are the first two: mutated now and then, not as often as the input.
  const i = params.length > 2 && rng.chance(0.9) ? 2 + rng.int(params.length - 2) : params.length > 0 ? rng.int(params.length) : 0;
  const p = params[i];
  if (!p || r < 0.1) {
    params.push([rng.pick(["Action", "Version", "X", "", "Filter.1.Name", "Tags.member.1.Key"]), rng.pick(ODD_STRINGS)]);
  } else if (r < 0.25) {
    params.splice(i, 1);
  } else if (r < 0.35) {
    params.push([p[0], oddFormValue(rng)]);
  } else if (r < 0.6) {
    // An odd value of the same kind (numbers stay numeric-looking).
    p[1] = /^-?\d+(\.\d+)?$/.test(p[1]) && rng.chance(0.7) ? rng.pick(ODD_NUMBERS.concat(["0", "-1", "2147483647", "4294967296"])) : oddFormValue(rng);
  } else if (r < 0.75) {
    // Odd list indexes and names.
    const parts = p[0].split(".");
    const j = rng.int(parts.length);
    parts[j] = rng.pick(["0", "-1", "99999999999999999999", "1e3", "", "member", "entry", "__proto__", "1".repeat(400), parts[j] ?? "x"]);
    p[0] = parts.join(".");
  } else if (r < 0.85) {
    p[0] = `${p[0]}${".1".repeat(rng.pick([2, 40, 5000]))}`;
  } else if (r < 0.93) {
    // Many parameters.
    const value = p[1].length > 100 ? "v" : p[1];
    for (let k = 0, n = rng.pick([50, 25_000]); k < n; k++) params.push([`${p[0]}.${k + 2}`, value]);
  } else {
    params.reverse();
  }
}

function oddFormValue(rng: Rng): string {
  const r = rng.next();
  if (r < 0.35) return rng.pick(ODD_NUMBERS.concat(["NaN", "Infinity", "0x10", " 5 ", "+1", "1_000", "١٢"]));
  if (r < 0.55) return rng.pick(ODD_STRINGS);
  if (r < 0.65) return "x".repeat(rng.pick(HUGE));
  if (r < 0.8) return rng.pick(["true", "TRUE", "yes", "1", "", "2026-13-45T99:99:99Z", "-99999999999", "!!!", "AAAA", "QUFBQQ==="]);
  return rng.bytes(1 + rng.int(16)).toString("latin1");
}

function percentGarble(text: string, rng: Rng): string {
  const at = rng.int(text.length + 1);
  return text.slice(0, at) + rng.pick(["%", "%Z", "%FF", "%C0%80", "%ED%A0%80", "%00", "%E2%82", "&&&", "==", "+%2B"]) + text.slice(at);
}

function maybeHeaders(call: WireCall, rng: Rng): WireCall {
  if (!rng.chance(0.12)) return call;
  const headers = { ...call.headers };
  const r = rng.next();
  if (r < 0.15) delete headers["content-type"];
  else if (r < 0.3) headers["content-type"] = rng.pick(["application/json", "text/plain", "application/x-www-form-urlencoded", "application/x-amz-json-1.0", "multipart/form-data; boundary=x", "", "application/x-amz-json-1.1; charset=utf-16"]);
  else if (r < 0.45) {
    const t = String(headers["x-amz-target"] ?? "");
    headers["x-amz-target"] = rng.pick(["", ".", "NoDot", `${t}.Extra`, `${t.split(".")[0]}.`, `${t.split(".")[0]}.constructor`, `${t.split(".")[0]}.__proto__`, "x".repeat(5000), `Other_2020.${t.split(".")[1] ?? ""}`]);
  } else if (r < 0.55) delete headers["x-amz-target"];
  else if (r < 0.75) {
    headers["authorization"] = rng.pick([
      "",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 Credential=",
      "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request",
      "AWS4-HMAC-SHA256 Credential=test/20260101//ecs/aws4_request, SignedHeaders=host, Signature=00",
      "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1//aws4_request, SignedHeaders=host, Signature=00",
      `AWS4-HMAC-SHA256 Credential=${"x".repeat(3000)}/20260101/us-east-1/ecs/aws4_request`,
      "Basic dGVzdDp0ZXN0",
      "AWS test:c2ln",
    ]);
  } else if (r < 0.85) delete headers["authorization"];
  else headers["x-amz-date"] = rng.pick(["", "20260101T000000Z", "garbage", "99999999T999999Z"]);
  if (rng.chance(0.1)) headers["content-type"] = [String(headers["content-type"] ?? ""), "text/plain"];
  return { ...call, headers };
}
