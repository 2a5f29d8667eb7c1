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
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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
  readonly #signing: Promise<SigningKey>;

  private constructor(url: string, signing: Promise<SigningKey>) {
    this.url = url;
    this.#signing = signing;
  }

  /**
   * The issuer `url` with the key in `keyFile` (made, mode 0600, when absent). Returns at once:
   * a new key is generated off the main thread (libuv's pool; a 2048-bit RSA key takes 50-200 ms
   * to find), and what signs or publishes keys waits for it, so start-up does not.
   */
  static open(url: string, keyFile: string): OidcIssuer {
    const signing = loadOrCreateKey(keyFile);
    signing.catch(() => {}); // surfaced by whatever needs the key; never an unhandled rejection
    return new OidcIssuer(url.replace(/\/$/, ""), signing);
  }

  /** Resolves once the signing key is loaded or made; rejects when it cannot be. */
  async ready(): Promise<void> {
    await this.#signing;
  }

  /** A signed ID token (RS256) for `claims`. */
  async mint(req: MintRequest): Promise<string> {
    const { key, kid } = await this.#signing;
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
    return { keys: [(await this.#signing).publicJwk] };
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
    jwk = JSON.parse(readFileSync(keyFile, "utf8")) as JsonWebKey;
  } catch {
    const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
    jwk = privateKey.export({ format: "jwk" });
    mkdirSync(dirname(keyFile), { recursive: true });
    const tmp = `${keyFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
    renameSync(tmp, keyFile);
  }
  const key = createPrivateKey({ key: jwk, format: "jwk" });
  const pub = createPublicKey(key).export({ format: "jwk" }) as JWK;
  const kid = rsaThumbprint(pub);
  return { key, publicJwk: { ...pub, kid, alg: "RS256", use: "sig" }, kid };
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
