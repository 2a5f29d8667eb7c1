/**
 * Helpers for the data plane socket tests: tiny node:http upstreams on 127.0.0.1:0, a RoutingTable
 * builder with ALB defaults, a settable TargetHealthView, plain HTTP requests without keep-alive
 * pooling surprises, and waitFor (poll a condition; no fixed sleeps).
 */
import { type IncomingMessage, type RequestListener, type Server, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type {
  Action,
  Condition,
  ListenerRoutes,
  RoutingTable,
  RuleRoutes,
  TargetGroupRoutes,
  TargetRoute,
} from "../../src/proxy/routing-table.ts";
import type { TargetHealth, TargetHealthView, TargetState } from "../../src/proxy/target-health.ts";

export interface Backend {
  readonly server: Server;
  readonly port: number;
  /** Requests seen, in order. */
  readonly seen: IncomingMessage[];
  close(): Promise<void>;
}

export async function startBackend(name: string, handler?: RequestListener): Promise<Backend> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    if (handler) return handler(req, res);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "text/plain", "X-Backend": name });
      res.end(name);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function target(id: string, port: number, extra: Partial<TargetRoute> = {}): TargetRoute {
  return { id, port, address: "127.0.0.1", draining: false, registeredAt: 0, ...extra };
}

export function targetGroup(arn: string, targets: TargetRoute[], extra: Partial<TargetGroupRoutes> = {}): TargetGroupRoutes {
  return {
    arn,
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    healthCheck: {
      enabled: true,
      protocol: "HTTP",
      port: "traffic-port",
      path: "/",
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      matcher: "200",
    },
    algorithm: "round_robin",
    slowStartSeconds: 0,
    deregistrationDelaySeconds: 300,
    stickiness: { enabled: false, type: "lb_cookie", durationSeconds: 86400 },
    targets,
    inUse: true,
    ...extra,
  };
}

export function rule(priority: number | "default", action: Action, conditions: Condition[] = []): RuleRoutes {
  return { ruleArn: `rule/${priority}`, priority, conditions, action };
}

export function forward(...arns: string[]): Action {
  return { type: "forward", targetGroups: arns.map((arn) => ({ arn, weight: 1 })) };
}

export function listener(port: number, rules: RuleRoutes[], extra: Partial<ListenerRoutes> = {}): ListenerRoutes {
  return {
    listenerArn: `listener/${port}`,
    loadBalancerArn: "lb/1",
    loadBalancerName: "lb-1",
    dnsName: "lb-1-00000001.us-east-1.elb.localhost",
    port,
    protocol: "HTTP",
    idleTimeoutSeconds: 60,
    xffMode: "append",
    xffClientPort: false,
    preserveHostHeader: false,
    rules,
    ...extra,
  };
}

export function table(listeners: ListenerRoutes[], groups: TargetGroupRoutes[]): RoutingTable {
  return {
    listeners: new Map(listeners.map((l) => [l.listenerArn, l])),
    targetGroups: new Map(groups.map((g) => [g.arn, g])),
  };
}

/** A TargetHealthView whose states the test sets directly. */
export class FakeHealth implements TargetHealthView {
  readonly #states = new Map<string, TargetHealth>();
  readonly #listeners = new Set<(a: string, id: string, p: number, h: TargetHealth) => void>();
  get(arn: string, id: string, port: number): TargetHealth | undefined {
    return this.#states.get(`${arn}\n${id}\n${port}`);
  }
  onChange(l: (a: string, id: string, p: number, h: TargetHealth) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  set(arn: string, id: string, port: number, state: TargetState): void {
    const h: TargetHealth = { state };
    this.#states.set(`${arn}\n${id}\n${port}`, h);
    for (const l of this.#listeners) l(arn, id, port, h);
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

export function get(
  port: number,
  path = "/",
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what = "condition", timeoutMs = 5000): Promise<void> {
  const start = performance.now();
  while (!(await cond())) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

export type { ServerResponse };
