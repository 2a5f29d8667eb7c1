/**
 * What a Fargate task's start must reach through its ENI, and ECS's texts when it cannot: since
 * platform version 1.4.0 the registry auth, the image pull, the secrets and the awslogs log stream
 * all go through the task's own network interface
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html),
 * so a task in a private subnet needs a NAT gateway or the matching VPC endpoints
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html), and one in a
 * public subnet needs `assignPublicIp: ENABLED`
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html).
 *
 * In the order the agent goes: secrets and registry auth (ResourceInitializationError), then each
 * image (CannotPullContainerError, with the timeout wording), then the log streams
 * (ResourceInitializationError). The EC2 launch type pulls on the container instance (the host),
 * so none of this applies to it. The decision itself is EC2's (src/vpc/reachability.ts), asked
 * through the narrow port below.
 */
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { classify } from "./secrets.ts";
import type { Scope } from "../../core/arn.ts";

/** What the task's ENI must reach: an AWS service endpoint, ECR's layer store (S3), or the internet. */
export type Destination = "ecr.api" | "ecr.dkr" | "ecr-layers" | "logs" | "secretsmanager" | "ssm" | "internet";

/** EC2's answer for one destination: through what, or why not (and the address the dial went to). */
export type ReachAnswer = { readonly ok: true; readonly via: string } | { readonly ok: false; readonly why: string; readonly address: string };

/** The port to EC2's reachability (src/server/ports.ts adapts src/vpc/reachability.ts). */
export interface TaskReachability {
  reach(eniId: string, destination: Destination): ReachAnswer;
}

export interface NetworkFailure {
  /** The task's stopped reason (ECS's text). */
  readonly reason: string;
  /** Slipway's log line: what was unreachable and why (the route, rule or missing endpoint). */
  readonly log: string;
}

/** An ECR image of Slipway's registry: its repository and tag or digest. */
export interface EcrImage {
  readonly repository: string;
  readonly reference: string;
  readonly accountId: string;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/;

/** The registry host, repository and tag of a non-ECR image reference, as Docker resolves it. */
function dockerRef(image: string): { host: string; repo: string; tag: string } {
  const slash = image.indexOf("/");
  const first = slash > 0 ? image.slice(0, slash) : "";
  const isHost = slash > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const host = isHost ? first : "registry-1.docker.io";
  let rest = isHost ? image.slice(slash + 1) : image;
  if (!isHost && !rest.includes("/")) rest = `library/${rest}`;
  const at = rest.indexOf("@");
  const colon = rest.lastIndexOf(":");
  if (at >= 0) return { host, repo: rest.slice(0, at), tag: rest.slice(at + 1) };
  if (colon > rest.lastIndexOf("/")) return { host, repo: rest.slice(0, colon), tag: rest.slice(colon + 1) };
  return { host, repo: rest, tag: "latest" };
}

/**
 * The first thing the task's start cannot reach, with ECS's text, or undefined when everything
 * is reachable. `ecrImage` says which images Slipway's registry (ECR) serves.
 */
export function networkFailure(
  reach: TaskReachability,
  scope: Scope,
  eniId: string,
  containers: readonly ContainerDefinition[],
  ecrImage: (image: string) => EcrImage | undefined,
): NetworkFailure | undefined {
  const r = scope.region;
  const fail = (what: string, a: Extract<ReachAnswer, { ok: false }>, reason: string): NetworkFailure => ({
    reason,
    log: `cannot reach ${what} from ${eniId}: ${a.why}`,
  });

  // 1. Secrets (and private registry credentials, which live in Secrets Manager).
  for (const c of containers) {
    const refs = [
      ...(c.secrets ?? []).map((s) => s.valueFrom ?? ""),
      ...(c.logConfiguration?.secretOptions ?? []).map((s) => s.valueFrom ?? ""),
      ...(c.repositoryCredentials?.credentialsParameter ? [c.repositoryCredentials.credentialsParameter] : []),
    ];
    for (const ref of refs) {
      const kind = c.repositoryCredentials?.credentialsParameter === ref ? "asm" : classify(ref, scope).kind;
      if (kind === "ssm") {
        const a = reach.reach(eniId, "ssm");
        if (!a.ok) {
          return fail(
            "Systems Manager (SSM)",
            a,
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration.",
          );
        }
      } else {
        const a = reach.reach(eniId, "secretsmanager");
        if (!a.ok) {
          return fail(
            "Secrets Manager",
            a,
            `ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration. failed to fetch secret ${ref} from secrets manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, RequestID: , canceled, context deadline exceeded.`,
          );
        }
      }
    }
  }

  // 2. Registry auth for ECR images.
  const images = [...new Set(containers.map((c) => c.image ?? ""))];
  if (images.some((i) => ecrImage(i))) {
    const a = reach.reach(eniId, "ecr.api");
    if (!a.ok) {
      return fail(
        "the ECR API",
        a,
        `ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. RequestError: send request failed caused by: Post "https://api.ecr.${r}.amazonaws.com/": dial tcp ${a.address}:443: i/o timeout`,
      );
    }
  }

  // 3. Each image: ECR's registry, then its layers (S3); any other registry is the internet.
  for (const image of images) {
    const ecr = ecrImage(image);
    if (ecr) {
      const host = ECR_HOST.test(image.split("/")[0] ?? "") ? image.split("/")[0]! : `${ecr.accountId}.dkr.ecr.${r}.amazonaws.com`;
      const head = `CannotPullContainerError: The task cannot pull '${image}' from the Amazon ECR repository '${ecr.repository}'. There is a connection issue between the task and Amazon ECR. Check your task network configuration.`;
      const dkr = reach.reach(eniId, "ecr.dkr");
      if (!dkr.ok) {
        return fail(
          "the ECR registry",
          dkr,
          `${head} failed to do request: Head "https://${host}/v2/${ecr.repository}/manifests/${ecr.reference}": dial tcp ${dkr.address}:443: i/o timeout`,
        );
      }
      const layers = reach.reach(eniId, "ecr-layers");
      if (!layers.ok) {
        return fail(
          "ECR's image layers in S3",
          layers,
          `${head} failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-${r}-starport-layer-bucket.s3.${r}.amazonaws.com/": dial tcp ${layers.address}:443: i/o timeout`,
        );
      }
    } else {
      const a = reach.reach(eniId, "internet");
      if (!a.ok) {
        const d = dockerRef(image);
        const name = d.host === "registry-1.docker.io" ? `docker.io/${d.repo}:${d.tag}` : `${d.host}/${d.repo}:${d.tag}`;
        return fail(
          `the registry of ${image} (the internet)`,
          a,
          `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${name}: failed to do request: Head "https://${d.host}/v2/${d.repo}/manifests/${d.tag}": dial tcp ${a.address}:443: i/o timeout`,
        );
      }
    }
  }

  // 4. The awslogs log streams.
  if (containers.some((c) => c.logConfiguration?.logDriver === "awslogs")) {
    const a = reach.reach(eniId, "logs");
    if (!a.ok) {
      return fail(
        "CloudWatch Logs",
        a,
        `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "https://logs.${r}.amazonaws.com/": dial tcp ${a.address}:443: i/o timeout`,
      );
    }
  }
  return undefined;
}
