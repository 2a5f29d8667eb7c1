/**
 * SigV4 verification, done in two steps so that a request is judged before its body is read:
 *
 * 1. `authenticateHead` reads only the request line and headers: the Authorization header (or the
 *    presigned query), the key (unknown keys and sessions without their token are refused), the
 *    date (within 15 minutes of now, or a presigned URL within its X-Amz-Expires), and which
 *    headers are signed (host always, X-Amz-Target and X-Amz-Security-Token when present, since
 *    they choose the operation and the session). No body byte and no service model is needed.
 * 2. `verify(payloadHash)` compares the signature computed over the canonical request with the
 *    SHA-256 of the body as received. The payload hash is always the body's own hash: a client's
 *    X-Amz-Content-Sha256 (or UNSIGNED-PAYLOAD, an S3-only convention) is never trusted, so a body
 *    changed after signing fails. When the client declared a hex hash, `declaredHash` lets the
 *    gateway check the signature before reading the body and compare the hash after.
 *
 * The algorithm is AWS's (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * canonical request → string to sign → HMAC chain of the secret over date, region and service.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { WireRequest } from "../protocol/index.ts";
import { type CredentialScope, credentialScope } from "../routing.ts";

export interface SecretRecord {
  readonly secretAccessKey: string;
  readonly accountId: string;
  /** Temporary credentials (STS sessions): the token every request must carry. */
  readonly sessionToken?: string | undefined;
}

/** Resolves an access key (static test keys, or keys created through IAM later). */
export type LookupSecret = (accessKeyId: string) => SecretRecord | undefined | Promise<SecretRecord | undefined>;

/**
 * Why a request is refused: no signature at all, an unknown key (or a session's missing or wrong
 * token), a signature that does not match, a date too far from now or a presigned URL past its
 * expiry, or an Authorization that lacks something AWS requires (`message` says what).
 */
export type AuthFailure = "missing" | "unknown-key" | "mismatch" | "expired" | "incomplete";

export type AuthResult =
  | { readonly ok: true; readonly scope: CredentialScope; readonly accountId: string }
  | { readonly ok: false; readonly failure: AuthFailure; readonly message?: string };

export type HeadResult =
  | {
      readonly ok: true;
      readonly scope: CredentialScope;
      readonly accountId: string;
      /** The client's X-Amz-Content-Sha256 when it is a hex digest (lower case). */
      readonly declaredHash: string | undefined;
      /** True when the signature matches with `payloadHash` (hex SHA-256 of the body). */
      verify(payloadHash: string): boolean;
    }
  | { readonly ok: false; readonly failure: AuthFailure; readonly message?: string };

/** The part of a request SigV4 reads before the body. */
export type RequestHead = Pick<WireRequest, "method" | "path" | "query" | "headers">;

/** AWS accepts a request signed within 15 minutes of its own clock, either way. */
export const MAX_SKEW_MS = 15 * 60_000;
/** A presigned URL lives at most seven days. */
export const MAX_PRESIGN_SECONDS = 604_800;
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

interface ParsedAuth {
  readonly scope: CredentialScope;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly presigned: { readonly expires: number } | undefined;
  readonly token: string | undefined;
}

type Parsed = { readonly ok: true; readonly auth: ParsedAuth } | { readonly ok: false; readonly failure: AuthFailure; readonly message?: string };

const ALGORITHM = "AWS4-HMAC-SHA256";

function parseAuth(req: RequestHead): Parsed {
  const header = req.headers["authorization"];
  if (header !== undefined) {
    if (!header.startsWith(`${ALGORITHM} `)) return { ok: false, failure: "missing" };
    const fields = new Map<string, string>();
    for (const part of header.slice(ALGORITHM.length + 1).split(",")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const absent = ["Credential", "SignedHeaders", "Signature"].filter((k) => !fields.get(k));
    if (absent.length > 0) {
      return { ok: false, failure: "incomplete", message: `${absent.map((k) => `Authorization header requires '${k}' parameter.`).join(" ")} Authorization=${header}` };
    }
    const scope = credentialScope(req);
    if (!scope) return { ok: false, failure: "incomplete", message: `Credential should be scoped to a valid region. Authorization=${header}` };
    const amzDate = req.headers["x-amz-date"] ?? fromHttpDate(req.headers["date"]);
    if (!amzDate) {
      return { ok: false, failure: "incomplete", message: `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${header}` };
    }
    return {
      ok: true,
      auth: {
        scope,
        signedHeaders: (fields.get("SignedHeaders") ?? "").split(";"),
        signature: fields.get("Signature") ?? "",
        amzDate,
        presigned: undefined,
        token: req.headers["x-amz-security-token"],
      },
    };
  }
  const q = req.query;
  if (!q.has("X-Amz-Signature") && !q.has("X-Amz-Credential")) return { ok: false, failure: "missing" };
  const absent = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"].filter((k) => !q.get(k));
  if (absent.length > 0) {
    return { ok: false, failure: "incomplete", message: `AWS query-string parameters must include ${absent.map((k) => `'${k}'`).join(", ")}. Re-examine the query-string parameters.` };
  }
  if (q.get("X-Amz-Algorithm") !== ALGORITHM) return { ok: false, failure: "incomplete", message: `X-Amz-Algorithm only supports "${ALGORITHM}"` };
  const expiresText = q.get("X-Amz-Expires") ?? String(MAX_PRESIGN_SECONDS);
  const expires = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires >= 1 && expires <= MAX_PRESIGN_SECONDS)) {
    return { ok: false, failure: "incomplete", message: `X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGN_SECONDS} (a week)` };
  }
  const scope = credentialScope(req);
  if (!scope) return { ok: false, failure: "incomplete", message: "Credential should be scoped to a valid region." };
  return {
    ok: true,
    auth: {
      scope,
      signedHeaders: (q.get("X-Amz-SignedHeaders") ?? "").split(";"),
      signature: q.get("X-Amz-Signature") ?? "",
      amzDate: q.get("X-Amz-Date") ?? "",
      presigned: { expires },
      token: q.get("X-Amz-Security-Token") ?? undefined,
    },
  };
}

/** Step 1: everything but the payload hash. `now` is epoch milliseconds. */
export async function authenticateHead(req: RequestHead, lookupSecret: LookupSecret, now: number): Promise<HeadResult> {
  const parsed = parseAuth(req);
  if (!parsed.ok) return parsed;
  const auth = parsed.auth;
  if (!auth.signedHeaders.includes("host")) {
    return { ok: false, failure: "incomplete", message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." };
  }
  for (const name of ["x-amz-target", "x-amz-security-token"]) {
    if (req.headers[name] !== undefined && !auth.signedHeaders.includes(name)) {
      return { ok: false, failure: "incomplete", message: `'${name}' must be a 'SignedHeader' in the AWS Authorization when the request carries it.` };
    }
  }
  const signed = parseAmzDate(auth.amzDate);
  if (signed === undefined) return { ok: false, failure: "incomplete", message: `Date must be in ISO-8601 'basic format'. Got '${auth.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601` };
  // The key first: an unknown or revoked key is that, whatever the date says.
  const secret = await lookupSecret(auth.scope.accessKeyId);
  if (!secret) return { ok: false, failure: "unknown-key" };
  if (secret.sessionToken !== undefined && !sameText(auth.token ?? "", secret.sessionToken)) return { ok: false, failure: "unknown-key" };
  const timing = checkTime(auth, signed, now);
  if (timing) return { ok: false, failure: "expired", message: timing };

  const key = signingKey(secret.secretAccessKey, auth.scope);
  const head = canonicalHead(req, auth);
  const scopeText = `${auth.scope.date}/${auth.scope.region}/${auth.scope.service}/aws4_request`;
  const expected = Buffer.from(auth.signature, "utf8");
  const declared = req.headers["x-amz-content-sha256"];
  return {
    ok: true,
    scope: auth.scope,
    accountId: secret.accountId,
    declaredHash: declared !== undefined && isHexDigest(declared) ? declared.toLowerCase() : undefined,
    verify(payloadHash: string): boolean {
      const canonical = `${head}\n${payloadHash}`;
      const toSign = `${ALGORITHM}\n${auth.amzDate}\n${scopeText}\n${sha256Hex(canonical)}`;
      const actual = Buffer.from(createHmac("sha256", key).update(toSign, "utf8").digest("hex"), "utf8");
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

/** Both steps over a request whose body is at hand (in-process calls, tests). */
export async function verifySigV4(req: WireRequest, lookupSecret: LookupSecret, now: number): Promise<AuthResult> {
  const head = await authenticateHead(req, lookupSecret, now);
  if (!head.ok) return head;
  if (!head.verify(sha256Hex(req.body))) return { ok: false, failure: "mismatch" };
  return { ok: true, scope: head.scope, accountId: head.accountId };
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function checkTime(auth: ParsedAuth, signed: number, now: number): string | undefined {
  if (auth.presigned) {
    if (signed - now > MAX_SKEW_MS) return `Request is not yet valid: X-Amz-Date ${auth.amzDate} is later than ${amz(now + MAX_SKEW_MS)} (${amz(now)} + 15 min.)`;
    const expiry = signed + auth.presigned.expires * 1000;
    if (now > expiry) return `Request has expired: it was valid until ${amz(expiry)} (X-Amz-Date ${auth.amzDate} + X-Amz-Expires ${auth.presigned.expires} s) and it is now ${amz(now)}`;
    return undefined;
  }
  if (signed < now - MAX_SKEW_MS) return `Signature expired: ${auth.amzDate} is now earlier than ${amz(now - MAX_SKEW_MS)} (${amz(now)} - 15 min.)`;
  if (signed > now + MAX_SKEW_MS) return `Signature not yet current: ${auth.amzDate} is still later than ${amz(now + MAX_SKEW_MS)} (${amz(now)} + 15 min.)`;
  return undefined;
}

/** Everything of the canonical request but its last line (the payload hash). */
function canonicalHead(req: RequestHead, auth: ParsedAuth): string {
  const headers = auth.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(req.headers[name] ?? "")}`).join("\n");
  return `${req.method}\n${canonicalPath(req.path)}\n${canonicalQuery(req)}\n${headers}\n\n${auth.signedHeaders.join(";")}`;
}

function canonicalHeaderValue(v: string): string {
  let out = "";
  let space = false;
  for (const ch of v.trim()) {
    const ws = ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
    if (ws) {
      space = true;
      continue;
    }
    if (space && out !== "") out += " ";
    space = false;
    out += ch;
  }
  return out;
}

/** Each segment decoded, dot segments resolved, then encoded again (as every SDK does outside S3). */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const raw of path.split("/")) {
    const s = safeDecode(raw);
    if (s === "" || s === ".") continue;
    if (s === "..") segments.pop();
    else segments.push(s);
  }
  const joined = `${path.startsWith("/") ? "/" : ""}${segments.join("/")}${segments.length > 0 && path.endsWith("/") ? "/" : ""}`;
  return escapeUri(joined).replaceAll("%2F", "/");
}

/** Pairs sorted by encoded name, then value; X-Amz-Signature left out. */
function canonicalQuery(req: RequestHead): string {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of req.query) {
    if (k === "X-Amz-Signature") continue;
    pairs.push([escapeUri(k), escapeUri(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function signingKey(secret: string, scope: CredentialScope): Buffer {
  let key: Buffer | string = `AWS4${secret}`;
  for (const part of [scope.date, scope.region, scope.service, "aws4_request"]) key = createHmac("sha256", key).update(part, "utf8").digest();
  return key as Buffer;
}

/** `YYYYMMDDTHHMMSSZ` as epoch milliseconds. */
function parseAmzDate(s: string): number | undefined {
  if (s.length !== 16 || s[8] !== "T" || s[15] !== "Z") return undefined;
  const digits = s.slice(0, 8) + s.slice(9, 15);
  if (!/^\d{14}$/.test(digits)) return undefined;
  const n = (a: number, b: number) => Number(digits.slice(a, b));
  const ms = Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14));
  return Number.isNaN(ms) ? undefined : ms;
}

function fromHttpDate(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : amz(ms);
}

function amz(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

function isHexDigest(s: string): boolean {
  return s.length === 64 && /^[0-9a-fA-F]{64}$/.test(s);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
