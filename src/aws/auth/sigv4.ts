/**
 * SigV4 verification by re-signing: keep only the signed headers, take the date from
 * x-amz-date, sign with @smithy/signature-v4 and compare with timingSafeEqual.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { WireRequest } from "../protocol/index.ts";
import { type CredentialScope, credentialScope } from "../routing.ts";

export interface SecretRecord {
  readonly secretAccessKey: string;
  readonly accountId: string;
  /** Temporary credentials: the session token the request must carry, else the key is refused. */
  readonly sessionToken?: string;
}

/** Resolves an access key (static test keys, or keys created through IAM later). */
export type LookupSecret = (accessKeyId: string) => SecretRecord | undefined | Promise<SecretRecord | undefined>;

export type AuthFailure = "missing" | "unknown-key" | "mismatch";

export type AuthResult =
  | { readonly ok: true; readonly scope: CredentialScope; readonly accountId: string }
  | { readonly ok: false; readonly failure: AuthFailure };

interface ParsedAuth {
  readonly scope: CredentialScope;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly presigned: { readonly expires: number } | undefined;
}

const SIGNED = /SignedHeaders=([^,\s]+)/;
const SIGNATURE = /Signature=([0-9a-f]+)/;

export function parseAuth(req: Pick<WireRequest, "headers" | "query">): ParsedAuth | undefined {
  const scope = credentialScope(req);
  if (!scope) return undefined;
  const header = req.headers["authorization"];
  if (header?.startsWith("AWS4-HMAC-SHA256")) {
    const signedHeaders = SIGNED.exec(header)?.[1]?.split(";") ?? [];
    const signature = SIGNATURE.exec(header)?.[1] ?? "";
    return { scope, signedHeaders, signature, amzDate: req.headers["x-amz-date"] ?? "", presigned: undefined };
  }
  return {
    scope,
    signedHeaders: (req.query.get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean),
    signature: req.query.get("X-Amz-Signature") ?? "",
    amzDate: req.query.get("X-Amz-Date") ?? "",
    presigned: { expires: Number(req.query.get("X-Amz-Expires") ?? "3600") },
  };
}

export async function verifySigV4(req: WireRequest, lookupSecret: LookupSecret): Promise<AuthResult> {
  const auth = parseAuth(req);
  if (!auth || !auth.signature) return { ok: false, failure: "missing" };
  const secret = await lookupSecret(auth.scope.accessKeyId);
  if (!secret) return { ok: false, failure: "unknown-key" };
  // Temporary credentials are valid only with their own session token (AWS answers a missing or
  // wrong token as an invalid security token).
  if (secret.sessionToken !== undefined) {
    const token = req.headers["x-amz-security-token"] ?? req.query.get("X-Amz-Security-Token") ?? "";
    const a = Buffer.from(token, "utf8");
    const b = Buffer.from(secret.sessionToken, "utf8");
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, failure: "unknown-key" };
  }
  const signingDate = parseAmzDate(auth.amzDate);
  if (!signingDate) return { ok: false, failure: "mismatch" };
  // The signer trusts x-amz-content-sha256 as the payload hash, so check it against the body.
  const declaredHash = req.headers["x-amz-content-sha256"];
  if (declaredHash !== undefined && /^[0-9a-f]{64}$/i.test(declaredHash)) {
    const actual = createHash("sha256").update(req.body).digest("hex");
    if (actual !== declaredHash.toLowerCase()) return { ok: false, failure: "mismatch" };
  }

  // Loaded on first use: only strict mode verifies signatures, and the signer is a few MB.
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import("@smithy/signature-v4"), import("@smithy/core/checksum")]);
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.scope.accessKeyId, secretAccessKey: secret.secretAccessKey },
    region: auth.scope.region,
    service: auth.scope.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = req.headers[name];
    if (v !== undefined) headers[name] = v;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    if (auth.presigned && k.startsWith("X-Amz-")) continue;
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const request = {
    method: req.method,
    protocol: "http:",
    hostname: headers["host"] ?? "localhost",
    path: safeDecodePath(req.path),
    query,
    headers,
    body: req.body,
  };
  const expected = auth.presigned
    ? ((await signer.presign(request, {
        signingDate,
        expiresIn: auth.presigned.expires,
        signableHeaders: new Set(auth.signedHeaders),
      })).query?.["X-Amz-Signature"] as string)
    : (SIGNATURE.exec(
        String((await signer.sign(request, { signingDate, signableHeaders: new Set(auth.signedHeaders) })).headers["authorization"]),
      )?.[1] ?? "");
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(auth.signature, "utf8");
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, failure: "mismatch" };
  return { ok: true, scope: auth.scope, accountId: secret.accountId };
}

function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function safeDecodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
