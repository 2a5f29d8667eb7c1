/**
 * The immutable snapshot the load-balancer data plane serves from. The control plane
 * (src/services/elbv2) builds a new RoutingTable from the store whenever a load balancer,
 * listener, rule, target group or target changes, and swaps it in by reference; requests already
 * in flight finish on the old table. The proxy never queries the store. The table says which port
 * each listener was created with; where it is bound on the host is the data plane's choice
 * (host-ports.ts).
 */

export interface RoutingTable {
  /** Listeners by ARN, in creation order. */
  readonly listeners: ReadonlyMap<string, ListenerRoutes>;
  /** Target groups by ARN (health checking and forwarding read these). */
  readonly targetGroups: ReadonlyMap<string, TargetGroupRoutes>;
}

export interface ListenerRoutes {
  readonly listenerArn: string;
  readonly loadBalancerArn: string;
  /** The load balancer's name and DNS name (`<name>-<id>.<region>.elb.localhost`, lower case). */
  readonly loadBalancerName: string;
  readonly dnsName: string;
  /** The port the listener was created with (X-Forwarded-Port); the data plane binds it, or its fallback. */
  readonly port: number;
  readonly protocol: "HTTP" | "HTTPS";
  /** HTTPS listeners: the security policy and certificates (the default one first). */
  readonly tls?: ListenerTls;
  /** Load balancer attributes the data plane honours. */
  readonly idleTimeoutSeconds: number;
  readonly xffMode: "append" | "preserve" | "remove";
  readonly xffClientPort: boolean;
  readonly preserveHostHeader: boolean;
  /** Rules in evaluation order (priority ascending); the default rule is last. */
  readonly rules: readonly RuleRoutes[];
}

export interface ListenerTls {
  /** The SslPolicy: its name, protocol versions ("TLSv1.2", …) and ciphers (OpenSSL names), in preference order. */
  readonly policy: { readonly name: string; readonly protocols: readonly string[]; readonly ciphers: readonly string[] };
  /** The default certificate first, then the listener's other certificates (SNI picks among them). */
  readonly certificates: readonly TlsCertificate[];
}

/** A certificate the listener can present (from ACM), with its private key. Never logged or reported. */
export interface TlsCertificate {
  readonly arn: string;
  /** The certificate and its chain, PEM. */
  readonly certificatePem: string;
  readonly chainPem: string;
  readonly privateKeyPem: string;
  /** The DNS names it covers (subject alternative names, else the common name), lower case. */
  readonly names: readonly string[];
}

export interface RuleRoutes {
  readonly ruleArn: string;
  /** "default" for the listener's default rule. */
  readonly priority: number | "default";
  readonly conditions: readonly Condition[];
  readonly action: Action;
}

export type Condition =
  | { readonly field: "path-pattern"; readonly values: readonly string[] }
  | { readonly field: "host-header"; readonly values: readonly string[] }
  | { readonly field: "http-header"; readonly name: string; readonly values: readonly string[] }
  | { readonly field: "http-request-method"; readonly values: readonly string[] }
  | { readonly field: "query-string"; readonly values: readonly { key?: string; value: string }[] }
  | { readonly field: "source-ip"; readonly values: readonly string[] };

export type Action =
  | {
      readonly type: "forward";
      readonly targetGroups: readonly { arn: string; weight: number }[];
      readonly stickiness?: { enabled: boolean; durationSeconds: number };
    }
  | {
      readonly type: "redirect";
      readonly protocol?: string;
      readonly port?: string;
      readonly host?: string;
      readonly path?: string;
      readonly query?: string;
      readonly statusCode: "HTTP_301" | "HTTP_302";
    }
  | { readonly type: "fixed-response"; readonly statusCode: string; readonly contentType?: string; readonly messageBody?: string };

export interface TargetGroupRoutes {
  readonly arn: string;
  readonly protocol: "HTTP" | "HTTPS";
  readonly port: number;
  readonly targetType: "instance" | "ip";
  readonly healthCheck: HealthCheckSettings;
  readonly algorithm: "round_robin" | "least_outstanding_requests" | "weighted_random";
  readonly slowStartSeconds: number;
  readonly deregistrationDelaySeconds: number;
  readonly stickiness: {
    readonly enabled: boolean;
    readonly type: "lb_cookie" | "app_cookie";
    readonly durationSeconds: number;
    readonly appCookieName?: string;
  };
  /** Registered targets, draining ones included (they get no new requests). */
  readonly targets: readonly TargetRoute[];
  /** True when some listener rule forwards to this group (health checks run only then). */
  readonly inUse: boolean;
}

export interface HealthCheckSettings {
  readonly enabled: boolean;
  readonly protocol: "HTTP" | "HTTPS";
  /** "traffic-port" or a port number. */
  readonly port: "traffic-port" | number;
  readonly path: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** Matcher HttpCode, e.g. "200", "200,202", "200-299". */
  readonly matcher: string;
}

export interface TargetRoute {
  /** The registered Id (instance id or IP). */
  readonly id: string;
  readonly port: number;
  /** Where to connect: for `ip` targets the IP itself; for `instance` targets the host (127.0.0.1). */
  readonly address: string;
  /**
   * The local address to connect from: the load balancer's ENI address (in the target's subnet
   * when it has one there), so the target's security groups see the load balancer's group.
   * Absent when no such address is bound on this host.
   */
  readonly sourceAddress?: string;
  /** True once DeregisterTargets was called (draining): no new requests. */
  readonly draining: boolean;
  /** Epoch ms of registration (slow start). */
  readonly registeredAt: number;
}
