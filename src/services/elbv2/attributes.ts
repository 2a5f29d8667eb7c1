/**
 * Attribute catalogues with AWS's defaults and their validation: load balancer, target group and
 * listener attributes as the ELB user guide lists them
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html).
 * Describe*Attributes always returns every key (Terraform diffs them all).
 */
import { invalidConfig, validation } from "./errors.ts";

export type Attributes = Record<string, string>;

interface AttrSpec {
  readonly def: string;
  readonly check?: (v: string) => boolean;
  readonly hint?: string;
}

const bool: Pick<AttrSpec, "check" | "hint"> = { check: (v) => v === "true" || v === "false", hint: "must be true or false" };
const int = (lo: number, hi: number): Pick<AttrSpec, "check" | "hint"> => ({
  check: (v) => /^-?\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi,
  hint: `must be an integer between ${lo} and ${hi}`,
});
const oneOf = (...values: string[]): Pick<AttrSpec, "check" | "hint"> => ({
  check: (v) => values.includes(v),
  hint: `must be one of: ${values.join(", ")}`,
});
const any: Pick<AttrSpec, "check" | "hint"> = {};

/** Application Load Balancer attributes (DescribeLoadBalancerAttributes on an ALB). */
export const LOAD_BALANCER_ATTRIBUTES: Readonly<Record<string, AttrSpec>> = {
  "access_logs.s3.enabled": { def: "false", ...bool },
  "access_logs.s3.bucket": { def: "", ...any },
  "access_logs.s3.prefix": { def: "", ...any },
  "client_keep_alive.seconds": { def: "3600", ...int(60, 604800) },
  "connection_logs.s3.enabled": { def: "false", ...bool },
  "connection_logs.s3.bucket": { def: "", ...any },
  "connection_logs.s3.prefix": { def: "", ...any },
  "deletion_protection.enabled": { def: "false", ...bool },
  "health_check_logs.s3.enabled": { def: "false", ...bool },
  "health_check_logs.s3.bucket": { def: "", ...any },
  "health_check_logs.s3.prefix": { def: "", ...any },
  "idle_timeout.timeout_seconds": { def: "60", ...int(1, 4000) },
  "load_balancing.cross_zone.enabled": { def: "true", ...oneOf("true") },
  "routing.http.desync_mitigation_mode": { def: "defensive", ...oneOf("monitor", "defensive", "strictest") },
  "routing.http.drop_invalid_header_fields.enabled": { def: "false", ...bool },
  "routing.http.preserve_host_header.enabled": { def: "false", ...bool },
  "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": { def: "false", ...bool },
  "routing.http.xff_client_port.enabled": { def: "false", ...bool },
  "routing.http.xff_header_processing.mode": { def: "append", ...oneOf("append", "preserve", "remove") },
  "routing.http2.enabled": { def: "true", ...bool },
  "waf.fail_open.enabled": { def: "false", ...bool },
  "zonal_shift.config.enabled": { def: "false", ...bool },
};

/** Target group attributes for instance/ip target groups of an ALB. */
export const TARGET_GROUP_ATTRIBUTES: Readonly<Record<string, AttrSpec>> = {
  "deregistration_delay.timeout_seconds": { def: "300", ...int(0, 3600) },
  "stickiness.enabled": { def: "false", ...bool },
  "stickiness.type": { def: "lb_cookie", ...oneOf("lb_cookie", "app_cookie") },
  "stickiness.lb_cookie.duration_seconds": { def: "86400", ...int(1, 604800) },
  "stickiness.app_cookie.cookie_name": {
    def: "",
    check: (v) => v === "" || (/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(v) && !/^AWSALB/i.test(v)),
    hint: "must be a valid cookie name that does not start with AWSALB, AWSALBAPP or AWSALBTG",
  },
  "stickiness.app_cookie.duration_seconds": { def: "86400", ...int(1, 604800) },
  "slow_start.duration_seconds": { def: "0", check: (v) => /^\d+$/.test(v) && (v === "0" || (Number(v) >= 30 && Number(v) <= 900)), hint: "must be 0 or between 30 and 900" },
  "load_balancing.algorithm.type": { def: "round_robin", ...oneOf("round_robin", "least_outstanding_requests", "weighted_random") },
  "load_balancing.algorithm.anomaly_mitigation": { def: "off", ...oneOf("on", "off") },
  "load_balancing.cross_zone.enabled": { def: "use_load_balancer_configuration", ...oneOf("true", "false", "use_load_balancer_configuration") },
  "target_group_health.dns_failover.minimum_healthy_targets.count": { def: "1", check: (v) => v === "off" || /^\d+$/.test(v), hint: "must be off or a number" },
  "target_group_health.dns_failover.minimum_healthy_targets.percentage": { def: "off", check: (v) => v === "off" || (/^\d+$/.test(v) && Number(v) <= 100), hint: "must be off or 1-100" },
  "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": { def: "1", check: (v) => /^\d+$/.test(v) && Number(v) >= 1, hint: "must be a number of at least 1" },
  "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": { def: "off", check: (v) => v === "off" || (/^\d+$/.test(v) && Number(v) <= 100), hint: "must be off or 1-100" },
};

const MTLS_HEADERS: Record<string, string> = {
  "routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name": "X-Amzn-Mtls-Clientcert-Serial-Number",
  "routing.http.request.x_amzn_mtls_clientcert_issuer.header_name": "X-Amzn-Mtls-Clientcert-Issuer",
  "routing.http.request.x_amzn_mtls_clientcert_subject.header_name": "X-Amzn-Mtls-Clientcert-Subject",
  "routing.http.request.x_amzn_mtls_clientcert_validity.header_name": "X-Amzn-Mtls-Clientcert-Validity",
  "routing.http.request.x_amzn_mtls_clientcert_leaf.header_name": "X-Amzn-Mtls-Clientcert-Leaf",
  "routing.http.request.x_amzn_mtls_clientcert.header_name": "X-Amzn-Mtls-Clientcert",
  "routing.http.request.x_amzn_tls_version.header_name": "X-Amzn-Tls-Version",
  "routing.http.request.x_amzn_tls_cipher_suite.header_name": "X-Amzn-Tls-Cipher-Suite",
};

/**
 * Application Load Balancer listener attributes. `tcp.idle_timeout.seconds` is NLB/GWLB-only and is
 * refused on an ALB listener, as AWS does; the mTLS/TLS request header names exist on HTTPS only.
 */
export function listenerAttributeSpecs(protocol: string): Record<string, AttrSpec> {
  const specs: Record<string, AttrSpec> = {
    "routing.http.response.server.enabled": { def: "true", ...bool },
    "routing.http.response.strict_transport_security.header_value": { def: "" },
    "routing.http.response.access_control_allow_origin.header_value": { def: "" },
    "routing.http.response.access_control_allow_methods.header_value": { def: "" },
    "routing.http.response.access_control_allow_headers.header_value": { def: "" },
    "routing.http.response.access_control_allow_credentials.header_value": { def: "", check: (v) => v === "" || v === "true", hint: "must be true" },
    "routing.http.response.access_control_expose_headers.header_value": { def: "" },
    "routing.http.response.access_control_max_age.header_value": { def: "", check: (v) => v === "" || /^\d+$/.test(v), hint: "must be a number" },
    "routing.http.response.content_security_policy.header_value": { def: "" },
    "routing.http.response.x_content_type_options.header_value": { def: "", check: (v) => v === "" || v === "nosniff", hint: "must be nosniff" },
    "routing.http.response.x_frame_options.header_value": { def: "", check: (v) => v === "" || ["DENY", "SAMEORIGIN"].includes(v) || v.startsWith("ALLOW-FROM "), hint: "must be DENY, SAMEORIGIN or ALLOW-FROM <uri>" },
  };
  if (protocol === "HTTPS") for (const [k, def] of Object.entries(MTLS_HEADERS)) specs[k] = { def };
  return specs;
}

export function defaults(specs: Readonly<Record<string, AttrSpec>>): Attributes {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.def]));
}

/** Applies `updates` over `current`, validating each key and value; returns the merged attributes. */
export function applyAttributes(
  kind: "Load balancer" | "Target group" | "Listener",
  specs: Readonly<Record<string, AttrSpec>>,
  current: Attributes,
  updates: readonly { Key?: string | undefined; Value?: string | undefined }[],
): Attributes {
  if (updates.length === 0) throw validation("At least one attribute must be specified");
  const next: Attributes = { ...defaults(specs), ...current };
  const seen = new Set<string>();
  for (const u of updates) {
    const key = u.Key ?? "";
    const value = u.Value ?? "";
    const spec = specs[key];
    if (!spec) throw validation(`${kind} attribute key '${key}' is not recognized`);
    if (seen.has(key)) throw validation(`${kind} attribute key '${key}' is specified more than once`);
    seen.add(key);
    if (spec.check && !spec.check(value)) {
      throw validation(`${kind} attribute '${key}' value '${value}' is not valid: ${spec.hint ?? "invalid value"}`);
    }
    next[key] = value;
  }
  if (next["access_logs.s3.enabled"] === "true" && !next["access_logs.s3.bucket"]) {
    throw invalidConfig("The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled");
  }
  if (next["connection_logs.s3.enabled"] === "true" && !next["connection_logs.s3.bucket"]) {
    throw invalidConfig("The value of 'connection_logs.s3.bucket' cannot be empty when connection logs are enabled");
  }
  if (Number(next["slow_start.duration_seconds"] ?? "0") > 0 && next["load_balancing.algorithm.type"] === "least_outstanding_requests") {
    throw invalidConfig("Slow start mode is not supported with the least outstanding requests routing algorithm");
  }
  if (next["load_balancing.algorithm.anomaly_mitigation"] === "on" && next["load_balancing.algorithm.type"] !== "weighted_random") {
    throw invalidConfig("Anomaly mitigation can only be enabled with the weighted random routing algorithm");
  }
  if (next["stickiness.enabled"] === "true" && next["stickiness.type"] === "app_cookie" && !next["stickiness.app_cookie.cookie_name"]) {
    throw invalidConfig("An application cookie name must be specified for app_cookie stickiness");
  }
  return next;
}

/** Every key, in catalogue order, as the SDK's Key/Value list. */
export function toList(specs: Readonly<Record<string, AttrSpec>>, attrs: Attributes): { Key: string; Value: string }[] {
  const merged = { ...defaults(specs), ...attrs };
  return Object.keys(specs).map((Key) => ({ Key, Value: merged[Key] ?? "" }));
}
