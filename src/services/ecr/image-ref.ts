/**
 * Which container images live in Slipway's own registry, and how Docker pulls them.
 * A task definition may name a pushed image as
 *   localhost:<port>/<name>:<tag>, 127.0.0.1:<port>/<name>:<tag>, or
 *   <account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>   (for an account Slipway hosts),
 * each also with `@sha256:<hex>` instead of (or after) the tag. Docker pulls all of them from
 * `127.0.0.1:<port>/<name>` (plain HTTP: Docker treats loopback registries as insecure).
 */
import type { Scope } from "../../core/arn.ts";

export interface RegistryImage extends Scope {
  /** Repository name. */
  name: string;
  /** Tag or digest (the digest wins when both are given). */
  reference: string;
  /** What Docker pulls and creates the container from: 127.0.0.1:<port>/<name>:<tag>|@<digest>. */
  pullRef: string;
  /** The registry host Docker authenticates against (127.0.0.1:<port>). */
  registryHost: string;
  /** 127.0.0.1:<port>/<name>: how the engine lists the image's repo digests. */
  repository: string;
}

/** `accountId` and `region` are the task's: what localhost-style references mean. */
export interface RewriteOptions extends Scope {
  /** Slipway's listening port. */
  port: number;
  /** Whether Slipway hosts this account's registry (ECR-style references). */
  hostsAccount: (account: string) => boolean;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const NAME_TAG_DIGEST = /^([a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** The Slipway registry image an image reference names, or undefined for any other registry. */
export function toRegistryImage(image: string, opts: RewriteOptions): RegistryImage | undefined {
  const slash = image.indexOf("/");
  if (slash <= 0) return undefined;
  const host = image.slice(0, slash).toLowerCase();
  const rest = image.slice(slash + 1);
  let accountId: string;
  let region: string;
  const ecr = ECR_HOST.exec(host);
  if (ecr) {
    if (!opts.hostsAccount(ecr[1]!)) return undefined;
    accountId = ecr[1]!;
    region = ecr[2]!;
  } else if (host === `localhost:${opts.port}` || host === `127.0.0.1:${opts.port}`) {
    accountId = opts.accountId;
    region = opts.region;
  } else {
    return undefined;
  }
  const m = NAME_TAG_DIGEST.exec(rest);
  if (!m) return undefined;
  const name = m[1]!;
  const tag = m[2];
  const digest = m[3];
  const reference = digest ?? tag ?? "latest";
  const registryHost = `127.0.0.1:${opts.port}`;
  const repository = `${registryHost}/${name}`;
  return { accountId, region, name, reference, registryHost, repository, pullRef: `${repository}${digest ? `@${digest}` : `:${reference}`}` };
}
