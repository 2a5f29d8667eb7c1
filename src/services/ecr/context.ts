/** What the ECR domain modules share: no HTTP, no wire format, no registry internals. */
import type { ImageIdentifier } from "@aws-sdk/client-ecr";
import type { Clock } from "../../core/clock.ts";
import type { Store } from "../../store/store.ts";
import type { RegistryPort, RepositoryKeys } from "./ports.ts";

export interface EcrDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly registry: RegistryPort;
  /** `localhost:<port>`: where Docker reaches the registry (known after listen). */
  readonly registryHost: () => string;
  /** KMS, for repositories encrypted with KMS (without it, kmsKey is stored as given and none is made up). */
  readonly keys?: RepositoryKeys;
  /** When an STS session's credentials expire (registry tokens end no later); undefined for other keys. */
  readonly sessionExpiry?: (accessKeyId: string) => number | undefined;
  /** Whether IAM issued this key (a user's key or a session's): only those go into registry tokens. */
  readonly iamKey?: (accessKeyId: string) => boolean;
}

/** An imageId as ECR's messages spell it: `imageDigest:'…', imageTag:'…'`. */
export function describeId(id: ImageIdentifier): string {
  return [id.imageDigest ? `imageDigest:'${id.imageDigest}'` : "", id.imageTag ? `imageTag:'${id.imageTag}'` : ""].filter(Boolean).join(", ");
}

/** Scanning is not implemented: what an image of a scan-on-push repository reports instead of findings. */
export const SCANNING_UNAVAILABLE = "Image scanning is not available in Slipway: no scan was performed.";
