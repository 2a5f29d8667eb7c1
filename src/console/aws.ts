/**
 * The console's way into the AWS API: the real @aws-sdk clients, signed with the console user's
 * credentials, whose HTTP handler feeds each request straight into the gateway (`invoke`, no
 * socket). So every console read and action is an ordinary API call: SigV4 in strict mode, the
 * gateway's authorize seam (IAM), the same handlers, the same errors, and the API-activity feed.
 */
import { createRequire } from "node:module";
import type { GatewayRequest } from "../aws/gateway.ts";
import type { WireResponse } from "../aws/protocol/index.ts";

const require = createRequire(import.meta.url);

export interface ConsoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What the console may call, by service: the SDK package, its aggregated client and the operations. */
export const CONSOLE_OPERATIONS = {
  ecs: {
    pkg: "@aws-sdk/client-ecs",
    client: "ECS",
    read: [
      "ListClusters",
      "DescribeClusters",
      "ListServices",
      "DescribeServices",
      "ListTasks",
      "DescribeTasks",
      "ListTaskDefinitionFamilies",
      "ListTaskDefinitions",
      "DescribeTaskDefinition",
      "ListServiceDeployments",
      "DescribeServiceDeployments",
    ],
    write: ["UpdateService", "StopTask", "ExecuteCommand"],
  },
  elasticloadbalancing: {
    pkg: "@aws-sdk/client-elastic-load-balancing-v2",
    client: "ElasticLoadBalancingV2",
    read: ["DescribeLoadBalancers", "DescribeListeners", "DescribeRules", "DescribeTargetGroups", "DescribeTargetHealth", "DescribeTargetGroupAttributes"],
    write: [],
  },
  ecr: {
    pkg: "@aws-sdk/client-ecr",
    client: "ECR",
    read: ["DescribeRepositories", "DescribeImages", "GetLifecyclePolicy", "GetLifecyclePolicyPreview", "DescribeImageScanFindings"],
    write: ["StartLifecyclePolicyPreview"],
  },
  logs: {
    pkg: "@aws-sdk/client-cloudwatch-logs",
    client: "CloudWatchLogs",
    read: ["DescribeLogGroups", "DescribeLogStreams", "FilterLogEvents", "GetLogEvents"],
    write: [],
  },
  ec2: {
    pkg: "@aws-sdk/client-ec2",
    client: "EC2",
    read: ["DescribeNetworkInterfaces", "DescribeSecurityGroups", "DescribeSubnets"],
    write: [],
  },
  sts: { pkg: "@aws-sdk/client-sts", client: "STS", read: ["GetCallerIdentity"], write: [] },
  monitoring: { pkg: "@aws-sdk/client-cloudwatch", client: "CloudWatch", read: ["GetMetricData", "DescribeAlarms"], write: [] },
  "application-autoscaling": {
    pkg: "@aws-sdk/client-application-auto-scaling",
    client: "ApplicationAutoScaling",
    read: ["DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScalingActivities", "DescribeScheduledActions"],
    write: [],
  },
} as const satisfies Record<string, { pkg: string; client: string; read: readonly string[]; write: readonly string[] }>;

export type ConsoleService = keyof typeof CONSOLE_OPERATIONS;

export function isConsoleService(s: string): s is ConsoleService {
  return Object.hasOwn(CONSOLE_OPERATIONS, s);
}

/** "read", "write", or undefined when the console does not offer the operation. */
export function operationKind(service: ConsoleService, operation: string): "read" | "write" | undefined {
  const ops = CONSOLE_OPERATIONS[service];
  if ((ops.read as readonly string[]).includes(operation)) return "read";
  if ((ops.write as readonly string[]).includes(operation)) return "write";
  return undefined;
}

/** The user agent the console's calls carry (the activity feed tells them apart by it). */
export const CONSOLE_USER_AGENT = "slipway-console";

/** An AWS error as the SDK raised it: code, message and HTTP status. */
export interface ApiError {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

export type CallResult = { ok: true; output: Record<string, unknown> } | { ok: false; error: ApiError };

interface SmithyRequest {
  method: string;
  path: string;
  query?: Record<string, string | (string | null)[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

type Invoke = (req: GatewayRequest) => Promise<WireResponse>;

/** A smithy HttpHandler that answers from the gateway in-process. */
function inProcessHandler(invoke: Invoke) {
  return {
    async handle(request: SmithyRequest) {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(request.query ?? {})) {
        if (v === null) search.append(k, "");
        else if (Array.isArray(v)) for (const x of v) search.append(k, x ?? "");
        else search.append(k, v);
      }
      const qs = search.toString();
      const body = request.body === undefined || request.body === null ? "" : (request.body as string | Uint8Array);
      const res = await invoke({ method: request.method, url: qs ? `${request.path}?${qs}` : request.path, headers: request.headers, body });
      return { response: { statusCode: res.status, headers: res.headers, body: new Uint8Array(Buffer.from(res.body, "utf8")) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}

type SdkClient = { destroy(): void } & Record<string, unknown>;
type SdkMethod = (input: unknown) => Promise<Record<string, unknown>>;

/** SDK clients for one identity, created on first use. */
export class ConsoleAws {
  readonly #invoke: Invoke;
  readonly #endpoint: string;
  readonly #region: string;
  readonly #credentials: ConsoleCredentials;
  readonly #clients = new Map<ConsoleService, SdkClient>();

  /** Shared by every session that uses the same credentials: close() leaves it open, dispose() ends it. */
  readonly shared: boolean;

  constructor(opts: { invoke: Invoke; endpoint: string; region: string; credentials: ConsoleCredentials; shared?: boolean }) {
    this.shared = opts.shared ?? false;
    this.#invoke = opts.invoke;
    this.#endpoint = opts.endpoint;
    this.#region = opts.region;
    this.#credentials = opts.credentials;
  }

  get region(): string {
    return this.#region;
  }

  /** Calls `operation` with the SDK; never throws for an AWS error (it is returned). */
  async call(service: ConsoleService, operation: string, input: unknown): Promise<CallResult> {
    const client = this.#client(service);
    const method = operation.charAt(0).toLowerCase() + operation.slice(1);
    const fn = client[method] as SdkMethod | undefined;
    if (typeof fn !== "function") return { ok: false, error: { code: "UnknownOperation", message: `${service} has no operation ${operation}`, status: 400 } };
    try {
      const { $metadata: _, ...output } = await fn.call(client, input ?? {});
      return { ok: true, output };
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      if (e.$metadata?.httpStatusCode === undefined) throw err;
      return { ok: false, error: { code: e.name ?? "Error", message: e.message ?? "", status: e.$metadata.httpStatusCode } };
    }
  }

  /** A session is done with these clients (shared ones stay open for the next session). */
  close(): void {
    if (!this.shared) this.dispose();
  }

  dispose(): void {
    for (const c of this.#clients.values()) c.destroy();
    this.#clients.clear();
  }

  #client(service: ConsoleService): SdkClient {
    let client = this.#clients.get(service);
    if (!client) {
      const def = CONSOLE_OPERATIONS[service];
      const Client = (require(def.pkg) as Record<string, new (config: unknown) => SdkClient>)[def.client]!;
      client = new Client({
        endpoint: this.#endpoint,
        region: this.#region,
        credentials: this.#credentials,
        requestHandler: inProcessHandler(this.#invoke),
        customUserAgent: CONSOLE_USER_AGENT,
        maxAttempts: 1,
      });
      this.#clients.set(service, client);
    }
    return client;
  }
}
