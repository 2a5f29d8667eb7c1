/**
 * Slipway as an OpenID Connect issuer, for runs with no network: it signs ID tokens for the claims
 * it is given (a GitHub Actions job's: sub, aud, repository, ref…) with an RSA key it keeps in
 * <data-dir>/oidc-signing-key.json (mode 0600, made on first use), and publishes the discovery
 * document and the key set at <endpoint>/_slipway/oidc/.well-known/openid-configuration and
 * <endpoint>/_slipway/oidc/jwks. AssumeRoleWithWebIdentity verifies a token whose `iss` is this
 * issuer against this key set (no fetch); an IAM OIDC provider naming the issuer URL trusts it.
 *
 * The issuer URL defaults to GitHub's (https://token.actions.githubusercontent.com), so a workflow
 * and a Terraform stack written for GitHub run unchanged: Slipway stands in for GitHub's issuer,
 * and a real GitHub token is then refused (its signature is not Slipway's).
 * https://docs.github.com/en/actions/reference/security/oidc
 */
import { createHash, createPrivateKey, generateKeyPair, type JsonWebKey, type KeyObject, createPublicKey } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { promisify } from "node:util";
import type { createLocalJWKSet, JWK } from "jose";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

export interface MintRequest {
  /** Claims of the token (sub, aud, repository, ref, …); iss/iat/nbf/exp are set here. */
  readonly claims: Record<string, unknown>;
  /** Seconds; default 300 (a GitHub Actions token lives 5 minutes… plus some). */
  readonly ttlSeconds?: number;
  /** Epoch ms. */
  readonly now: number;
}

interface SigningKey {
  readonly key: KeyObject;
  readonly publicJwk: JWK;
  readonly kid: string;
}

export class OidcIssuer {
  readonly url: string;
  readonly #keyFile: string;
  #signing: Promise<SigningKey> | undefined;

  private constructor(url: string, keyFile: string) {
    this.url = url;
    this.#keyFile = keyFile;
  }

  /**
   * The issuer `url` with the key in `keyFile` (made, mode 0600, when absent). Returns at once and
   * touches nothing: the key is read or made when something first signs or publishes keys. A new
   * key is generated off the main thread (libuv's pool; a 2048-bit RSA key takes 50-200 ms to
   * find), so neither start-up nor a Slipway that never uses OIDC pays for it.
   */
  static open(url: string, keyFile: string): OidcIssuer {
    return new OidcIssuer(url.replace(/\/$/, ""), keyFile);
  }

  /** The signing key, read or made on first use. */
  #key(): Promise<SigningKey> {
    if (!this.#signing) {
      this.#signing = loadOrCreateKey(this.#keyFile);
      this.#signing.catch(() => {}); // surfaced by whatever needs the key; never an unhandled rejection
    }
    return this.#signing;
  }

  /** Reads or makes the signing key; resolves once it is there, rejects when it cannot be. */
  async ready(): Promise<void> {
    await this.#key();
  }

  /** Resolves once a key being read or made is settled (at once when nothing asked for it). */
  async settled(): Promise<void> {
    await this.#signing?.catch(() => {});
  }

  /** A signed ID token (RS256) for `claims`. */
  async mint(req: MintRequest): Promise<string> {
    const { key, kid } = await this.#key();
    const iat = Math.floor(req.now / 1000);
    // jose is loaded when a token is first signed or verified, not at start-up.
    const { SignJWT } = await import("jose");
    return new SignJWT({ ...req.claims })
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .setIssuer(this.url)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + (req.ttlSeconds ?? 300))
      .sign(key);
  }

  /** The JWKS document. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.#key()).publicJwk] };
  }

  /** A key set verifiers read (jose's local JWKS). */
  async keySet(): Promise<ReturnType<typeof createLocalJWKSet>> {
    const { createLocalJWKSet } = await import("jose");
    return createLocalJWKSet(await this.jwks());
  }

  /** The discovery document, naming the JWKS where this Slipway serves it. */
  discovery(endpoint: string): Record<string, unknown> {
    return {
      issuer: this.url,
      jwks_uri: `${endpoint}/_slipway/oidc/jwks`,
      subject_types_supported: ["public", "pairwise"],
      response_types_supported: ["id_token"],
      claims_supported: ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_owner", "actor", "environment", "job_workflow_ref", "workflow"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
    };
  }
}

async function loadOrCreateKey(keyFile: string): Promise<SigningKey> {
  let jwk: JsonWebKey;
  try {
    jwk = readKey(keyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
    mkdirSync(dirname(keyFile), { recursive: true });
    // Written whole under a private name, then linked into place only if no key is there yet: when
    // two processes make a key at once (`slipway up` and `slipway oidc-token` on one data dir),
    // the first link wins and both sign with that key.
    const tmp = `${keyFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, JSON.stringify(privateKey.export({ format: "jwk" })), { mode: 0o600 });
    try {
      linkSync(tmp, keyFile);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A file system without hard links: the rename of before (the last writer wins a race).
      if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") renameSync(tmp, keyFile);
      else if (code !== "EEXIST") throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
    jwk = readKey(keyFile);
  }
  const key = createPrivateKey({ key: jwk, format: "jwk" });
  const pub = createPublicKey(key).export({ format: "jwk" }) as JWK;
  const kid = rsaThumbprint(pub);
  return { key, publicJwk: { ...pub, kid, alg: "RS256", use: "sig" }, kid };
}

/** The key file's JWK; a file that is not JSON is an error naming it (never silently replaced). */
function readKey(keyFile: string): JsonWebKey {
  const text = readFileSync(keyFile, "utf8");
  try {
    return JSON.parse(text) as JsonWebKey;
  } catch (err) {
    throw new Error(`${keyFile} is not a JSON Web Key (${(err as Error).message}); remove it to make a new OIDC signing key`);
  }
}

/** The JWK thumbprint of an RSA public key (RFC 7638: SHA-256 of {"e","kty","n"} in that order, base64url). */
function rsaThumbprint(pub: JWK): string {
  return createHash("sha256").update(JSON.stringify({ e: pub.e, kty: pub.kty, n: pub.n })).digest("base64url");
}

/**
 * GitHub Actions' claim layout for a job of `repository` on `ref` (or in `environment`):
 * sub = repo:ORG/REPO:ref:refs/heads/main (environment:NAME when the job has one).
 */
export function githubClaims(o: { repository: string; ref?: string; environment?: string; audience?: string; extra?: Record<string, string> }): Record<string, unknown> {
  const ref = o.ref ?? "refs/heads/main";
  const [owner] = o.repository.split("/");
  const sub = o.environment ? `repo:${o.repository}:environment:${o.environment}` : `repo:${o.repository}:ref:${ref}`;
  return {
    sub,
    aud: o.audience ?? "sts.amazonaws.com",
    ref,
    ref_type: ref.startsWith("refs/tags/") ? "tag" : "branch",
    repository: o.repository,
    repository_owner: owner,
    actor: owner,
    workflow: "deploy",
    event_name: "push",
    job_workflow_ref: `${o.repository}/.github/workflows/deploy.yml@${ref}`,
    runner_environment: "self-hosted",
    ...(o.environment ? { environment: o.environment } : {}),
    ...(o.extra ?? {}),
  };
}
