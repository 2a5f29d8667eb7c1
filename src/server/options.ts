/** What startSlipway() takes and returns (src/server/slipway.ts builds it). */
import type { Gateway } from "../aws/gateway.ts";
import type { Clock } from "../core/clock.ts";
import type { Timeouts } from "../core/config.ts";
import type { IdGen } from "../core/ids.ts";
import type { Registry } from "../registry/registry.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import type { Acm } from "../services/acm/index.ts";
import type { Ecr } from "../services/ecr/index.ts";
import type { Ecs } from "../services/ecs/ecs.ts";
import type { Elbv2 } from "../services/elbv2/elbv2.ts";
import type { RoutingTableSource } from "../services/elbv2/table-source.ts";
import type { Store } from "../store/store.ts";
import type { OidcIssuer } from "../oidc/issuer.ts";
import type { VpcDataPlane } from "../vpc/data-plane.ts";
import type { AutoScaling } from "../services/application-autoscaling/index.ts";
import type { CloudWatch } from "../services/cloudwatch/index.ts";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
}

export interface SlipwayOptions {
  /** 0 picks a free port. Default 4566. */
  port?: number;
  host?: string;
  /** Where the database lives. Default ./.slipway */
  dataDir?: string;
  accountId?: string;
  region?: string;
  strictAuth?: boolean;
  /**
   * Evaluate IAM policies on every request signed by an IAM user's key, a role session or a task
   * role (the account's root stays unrestricted). Default: on with strictAuth, off otherwise.
   */
  enforceIam?: boolean;
  credentials?: Credentials[];
  /**
   * The OIDC issuer Slipway stands in for (it signs tokens for it and verifies them with its own
   * key, published at /_slipway/oidc/). Default https://token.actions.githubusercontent.com.
   */
  oidcIssuer?: string;
  runtime?: ContainerRuntime;
  clock?: Clock;
  ids?: IdGen;
  /** fsync every commit (survives power loss, slower writes). Default false: crash-safe only. */
  fsync?: boolean;
  /** Name of the Docker network awsvpc tasks join. */
  awsvpcNetwork?: string;
  log?: (msg: string) => void;
  /**
   * Where a line per deployment start and finish and per failed task goes (src/server/reporter.ts);
   * `slipway up` passes stdout unless --quiet. Default: not reported.
   */
  report?: (line: string) => void;
  /**
   * Which data plane serves the load balancers: "node" (default; in this process) or "haproxy"
   * (Debian's haproxy, driven from the same routing snapshot; see src/proxy/haproxy/).
   */
  dataPlane?: "node" | "haproxy";
  /**
   * A last-resort GC once the API goes quiet after a burst, and again while it stays quiet once the
   * background work's garbage has grown the heap by 2 MiB (src/server/idle-gc.ts). A collection
   * covers the whole process, so only `slipway up`, whose process is Slipway's alone, turns it on;
   * in a test process it would collect the test runner's heap too. Default: off.
   */
  idleCollection?: boolean;
  /** The OCI registry under /v2/. `strict` defaults to strictAuth. */
  registry?: { strict?: boolean; autoCreateRepositories?: boolean };
  /** How long the API port waits on a stalled client (defaults: DEFAULT_TIMEOUTS). */
  timeouts?: Partial<Timeouts>;
  /** Count load balancer traffic for AWS/ApplicationELB metrics. Default true. */
  loadBalancerMetrics?: boolean;
  /**
   * The task endpoint at 169.254.170.2 (task metadata, task-role credentials, the AWS API for
   * containers): "auto" sets it up when Slipway runs as root and warns once otherwise; "off"
   * (the default here; `slipway up` defaults to "auto") leaves it out. `{ host, port }` serves it
   * there instead, with no kernel setup (tests: containers are told 169.254.170.2 all the same).
   */
  taskEndpoint?: "auto" | "off" | { host: string; port: number };
  /** Inject AWS_ENDPOINT_URL into task containers (when the task endpoint serves). Default true. */
  injectEndpointUrl?: boolean;
  /**
   * Security groups in the kernel (src/vpc): "auto" enforces them when Slipway runs as root (and
   * warns once otherwise); "off" (the default here; `slipway up` defaults to "auto") never touches
   * the kernel. Subnet networks and the reachability checks at task start work either way.
   */
  securityGroups?: "auto" | "off";
  /** How long a task start waits before failing when it cannot reach what it needs (ECS's timeout). Default 5 s. */
  unreachableTimeoutMs?: number;
}

export interface Slipway {
  readonly url: string;
  /** The web console: `${url}/_slipway/console/`. */
  readonly consoleUrl: string;
  /** Open console sessions, event streams and log tails, live and pending exec streams (tests, benchmarks). */
  consoleStats(): { sessions: number; streams: number; tails: number; execStreams: number; execPending: number };
  readonly port: number;
  readonly store: Store;
  readonly ecs: Ecs;
  readonly elbv2: Elbv2;
  /** The load balancers' routing table (the data plane serves from it). */
  readonly routing: RoutingTableSource;
  readonly gateway: Gateway;
  readonly registry: Registry;
  /** The ECR API's domain (lifecycle runs, tests). */
  readonly ecr: Ecr;
  /** CloudWatch metrics and alarms (tests publish and evaluate through it). */
  readonly cloudwatch: CloudWatch;
  /** Application Auto Scaling (tests run scheduled actions through it). */
  readonly autoscaling: AutoScaling;
  /** One round of the platform's metrics (ALB counters, ECS from docker stats) and alarm evaluation (tests). */
  metricsMinute(): Promise<void>;
  /** ACM (certificates, the local CA). */
  readonly acm: Acm;
  readonly instanceId: string;
  /** Slipway's OIDC issuer (mints test tokens; tokens of its URL verify against its key). */
  readonly oidc: OidcIssuer;
  /** Where the task endpoint listens, when it serves (http://169.254.170.2:80 in production). */
  readonly taskEndpointUrl: string | undefined;
  /** The VPC data plane (subnet networks, security groups in the kernel). */
  readonly vpc: VpcDataPlane;
  /** How many times memory was given back after a burst of requests (src/server/idle-gc.ts; tests). */
  idleCollections(): number;
  /** Resolves when the schedulers have nothing queued or running (tests). */
  idle(): Promise<void>;
  /** What keeps running when Slipway stops (its tasks' containers): for the shutdown summary. */
  leftRunning(): Promise<LeftRunning>;
  /** Stops serving and scheduling; containers keep running (a restart adopts them). */
  close(): Promise<void>;
}

export interface LeftRunning {
  /** Tasks not yet STOPPED, by cluster and service ("" for standalone tasks). */
  readonly tasks: readonly { cluster: string; service: string; taskId: string; lastStatus: string }[];
  /** Running containers this Slipway made (label slipway.instance). */
  readonly containers: number;
  /** The Docker label that finds them. */
  readonly instanceLabel: string;
}
