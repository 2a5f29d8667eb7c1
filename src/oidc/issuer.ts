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
import { createPrivateKey, generateKeyPairSync, type JsonWebKey, type KeyObject, createPublicKey } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, SignJWT } from "jose";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

export interface MintRequest {
  /** Claims of the token (sub, aud, repository, ref, …); iss/iat/nbf/exp are set here. */
  readonly claims: Record<string, unknown>;
  /** Seconds; default 300 (a GitHub Actions token lives 5 minutes… plus some). */
  readonly ttlSeconds?: number;
  /** Epoch ms. */
  readonly now: number;
}

export class OidcIssuer {
  readonly url: string;
  readonly #key: KeyObject;
  readonly #publicJwk: JWK;
  readonly #kid: string;

  private constructor(url: string, key: KeyObject, publicJwk: JWK, kid: string) {
    this.url = url;
    this.#key = key;
    this.#publicJwk = publicJwk;
    this.#kid = kid;
  }

  /** The issuer `url` with the key in `keyFile` (made, mode 0600, when absent). */
  static async open(url: string, keyFile: string): Promise<OidcIssuer> {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(readFileSync(keyFile, "utf8")) as JsonWebKey;
    } catch {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      jwk = privateKey.export({ format: "jwk" });
      mkdirSync(dirname(keyFile), { recursive: true });
      const tmp = `${keyFile}.tmp`;
      writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
      renameSync(tmp, keyFile);
    }
    const key = createPrivateKey({ key: jwk, format: "jwk" });
    const pub = createPublicKey(key).export({ format: "jwk" }) as JWK;
    const kid = await calculateJwkThumbprint(pub);
    return new OidcIssuer(url.replace(/\/$/, ""), key, { ...pub, kid, alg: "RS256", use: "sig" }, kid);
  }

  /** A signed ID token (RS256) for `claims`. */
  async mint(req: MintRequest): Promise<string> {
    const iat = Math.floor(req.now / 1000);
    return new SignJWT({ ...req.claims })
      .setProtectedHeader({ alg: "RS256", kid: this.#kid, typ: "JWT" })
      .setIssuer(this.url)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + (req.ttlSeconds ?? 300))
      .sign(this.#key);
  }

  /** The JWKS document. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.#publicJwk] };
  }

  /** A key set verifiers read (jose's local JWKS). */
  keySet(): ReturnType<typeof createLocalJWKSet> {
    return createLocalJWKSet(this.jwks());
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
