/**
 * Listener/rule actions and rule conditions: validation against ALB's rules
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html)
 * and normalization to the documents AWS returns
 * (forward actions carry both TargetGroupArn and ForwardConfig; path/host conditions carry both
 * the legacy Values and the *Config form; redirect components are filled with their #{} defaults).
 */
import { isIP } from "node:net";
import type { Action, RuleCondition } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceError } from "../../aws/service-error.ts";
import { wildcardCount } from "../../core/glob.ts";
import { invalidAction, targetGroupNotFound, validation } from "./errors.ts";

export interface ActionContext {
  /** Load balancer the listener belongs to (target groups can serve only one). */
  readonly loadBalancerArn: string;
  /** Returns true when the TG exists in the caller's scope. */
  readonly targetGroupExists: (arn: string) => boolean;
  /** Load balancers already forwarding to the TG. */
  readonly loadBalancersOf: (arn: string) => readonly string[];
}

export interface NormalizedActions {
  readonly actions: Action[];
  /** Every target group the actions forward to. */
  readonly targetGroupArns: string[];
}

const CONTENT_TYPES = ["text/plain", "text/css", "text/html", "application/javascript", "application/json"];
const REDIRECT_DEFAULTS = { Protocol: "#{protocol}", Port: "#{port}", Host: "#{host}", Path: "/#{path}", Query: "#{query}" } as const;

export function normalizeActions(input: readonly Action[] | undefined, ctx: ActionContext): NormalizedActions {
  if (!input || input.length === 0) throw validation("At least one action must be specified");
  if (input.length > 1) {
    throw invalidAction("Only one action can be specified: Slipway supports forward, redirect and fixed-response actions, which are terminal");
  }
  const tgs = new Set<string>();
  const actions = input.map((a) => {
    if (a.Order !== undefined && (a.Order < 1 || a.Order > 50000)) throw validation(`Action order '${a.Order}' must be between 1 and 50000`);
    const order = a.Order !== undefined ? { Order: a.Order } : {};
    switch (a.Type) {
      case "forward":
        return { ...forward(a, ctx, tgs), ...order };
      case "redirect":
        return { ...redirect(a), ...order };
      case "fixed-response":
        return { ...fixedResponse(a), ...order };
      default:
        throw invalidAction(`Action type '${a.Type}' is not supported by Slipway (supported: forward, redirect, fixed-response)`);
    }
  });
  return { actions, targetGroupArns: [...tgs] };
}

function forward(a: Action, ctx: ActionContext, tgs: Set<string>): Action {
  const fromConfig = a.ForwardConfig?.TargetGroups ?? [];
  if (!a.TargetGroupArn && fromConfig.length === 0) throw validation("A target group ARN must be specified for a forward action");
  if (a.TargetGroupArn && fromConfig.length > 0 && (fromConfig.length > 1 || fromConfig[0]!.TargetGroupArn !== a.TargetGroupArn)) {
    throw validation("You cannot specify a target group ARN and a forward config with different target groups");
  }
  const groups =
    fromConfig.length > 0
      ? fromConfig.map((t) => ({ TargetGroupArn: t.TargetGroupArn ?? "", Weight: t.Weight ?? 1 }))
      : [{ TargetGroupArn: a.TargetGroupArn!, Weight: 1 }];
  if (groups.length > 5) throw validation("A forward action can have at most 5 target groups");
  const seen = new Set<string>();
  for (const g of groups) {
    if (!g.TargetGroupArn) throw validation("A target group ARN must be specified for each target group of a forward action");
    if (seen.has(g.TargetGroupArn)) throw validation(`Target group '${g.TargetGroupArn}' is specified more than once in the forward action`);
    seen.add(g.TargetGroupArn);
    if (!Number.isInteger(g.Weight) || g.Weight < 0 || g.Weight > 999) throw validation(`Target group weight '${g.Weight}' must be between 0 and 999`);
    if (!ctx.targetGroupExists(g.TargetGroupArn)) throw targetGroupNotFound();
    const others = ctx.loadBalancersOf(g.TargetGroupArn).filter((lb) => lb !== ctx.loadBalancerArn);
    if (others.length > 0) {
      throw new ServiceError(
        "TargetGroupAssociationLimitException",
        `The following target groups cannot be associated with more than one load balancer: ${g.TargetGroupArn}`,
      );
    }
    tgs.add(g.TargetGroupArn);
  }
  const st = a.ForwardConfig?.TargetGroupStickinessConfig;
  const stickiness: { Enabled: boolean; DurationSeconds?: number } = { Enabled: st?.Enabled ?? false };
  if (st?.Enabled) {
    const d = st.DurationSeconds;
    if (d === undefined || d < 1 || d > 604800) throw validation("Target group stickiness duration must be between 1 and 604800 seconds");
    stickiness.DurationSeconds = d;
  } else if (st?.DurationSeconds !== undefined) {
    stickiness.DurationSeconds = st.DurationSeconds;
  }
  return {
    Type: "forward",
    ...(groups.length === 1 ? { TargetGroupArn: groups[0]!.TargetGroupArn } : {}),
    ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: stickiness },
  };
}

function redirect(a: Action): Action {
  const c = a.RedirectConfig;
  if (!c) throw validation("A redirect configuration must be specified for a redirect action");
  if (c.StatusCode !== "HTTP_301" && c.StatusCode !== "HTTP_302") throw validation("The redirect status code must be HTTP_301 or HTTP_302");
  const out = {
    Protocol: c.Protocol ?? REDIRECT_DEFAULTS.Protocol,
    Port: c.Port ?? REDIRECT_DEFAULTS.Port,
    Host: c.Host ?? REDIRECT_DEFAULTS.Host,
    Path: c.Path ?? REDIRECT_DEFAULTS.Path,
    Query: c.Query ?? REDIRECT_DEFAULTS.Query,
    StatusCode: c.StatusCode,
  };
  if (!["HTTP", "HTTPS", "#{protocol}"].includes(out.Protocol)) throw validation(`Redirect protocol '${out.Protocol}' must be HTTP, HTTPS or #{protocol}`);
  if (out.Port !== "#{port}" && !(/^\d+$/.test(out.Port) && Number(out.Port) >= 1 && Number(out.Port) <= 65535)) {
    throw validation(`Redirect port '${out.Port}' must be between 1 and 65535 or #{port}`);
  }
  if (!out.Path.startsWith("/")) throw validation(`Redirect path '${out.Path}' must start with '/'`);
  if (out.Host === "" || out.Host.length > 128) throw validation("Redirect host must be between 1 and 128 characters");
  if (out.Query.length > 128) throw validation("Redirect query must be at most 128 characters");
  if (
    out.Protocol === REDIRECT_DEFAULTS.Protocol &&
    out.Port === REDIRECT_DEFAULTS.Port &&
    out.Host === REDIRECT_DEFAULTS.Host &&
    out.Path === REDIRECT_DEFAULTS.Path &&
    out.Query === REDIRECT_DEFAULTS.Query
  ) {
    throw invalidAction("The redirect must change at least one of protocol, port, host, path or query; it would redirect to the same URL");
  }
  return { Type: "redirect", RedirectConfig: out };
}

function fixedResponse(a: Action): Action {
  const c = a.FixedResponseConfig;
  if (!c) throw validation("A fixed-response configuration must be specified for a fixed-response action");
  if (!/^[245]\d\d$/.test(c.StatusCode ?? "")) throw validation(`Fixed-response status code '${c.StatusCode}' must be 2XX, 4XX or 5XX`);
  if (c.ContentType !== undefined && !CONTENT_TYPES.includes(c.ContentType)) {
    throw validation(`Fixed-response content type '${c.ContentType}' must be one of: ${CONTENT_TYPES.join(", ")}`);
  }
  if (c.MessageBody !== undefined && Buffer.byteLength(c.MessageBody) > 1024) throw validation("Fixed-response message body must be at most 1024 bytes");
  return {
    Type: "fixed-response",
    FixedResponseConfig: {
      StatusCode: c.StatusCode!,
      ...(c.ContentType !== undefined ? { ContentType: c.ContentType } : {}),
      ...(c.MessageBody !== undefined ? { MessageBody: c.MessageBody } : {}),
    },
  };
}

/** Target groups an (already normalized) action list forwards to. */
export function forwardTargets(actions: readonly Action[] | undefined): string[] {
  const out = new Set<string>();
  for (const a of actions ?? []) {
    if (a.Type !== "forward") continue;
    for (const t of a.ForwardConfig?.TargetGroups ?? []) if (t.TargetGroupArn) out.add(t.TargetGroupArn);
    if (a.TargetGroupArn) out.add(a.TargetGroupArn);
  }
  return [...out];
}

const FIELDS = ["path-pattern", "host-header", "http-header", "http-request-method", "query-string", "source-ip"];
const SINGLETONS = new Set(["path-pattern", "host-header", "http-request-method", "source-ip"]);

export function normalizeConditions(input: readonly RuleCondition[] | undefined): RuleCondition[] {
  if (!input || input.length === 0) throw validation("A rule must have at least one condition");
  const seen = new Set<string>();
  let values = 0;
  let wildcards = 0;
  const wild = (vs: readonly (string | undefined)[]) => {
    for (const v of vs) if (v !== undefined) wildcards += wildcardCount(v, { question: true });
  };
  const out = input.map((c) => {
    const field = c.Field ?? "";
    if (!FIELDS.includes(field)) throw validation(`Condition field '${field}' must be one of the following values: [${FIELDS.join(", ")}]`);
    if (SINGLETONS.has(field)) {
      if (seen.has(field)) throw validation(`A rule can only have one '${field}' condition`);
      seen.add(field);
    }
    if (c.RegexValues?.length) throw validation("Regular expression condition values are not supported by Slipway");
    const legacy = c.Values ?? [];
    const configValues = (cfg: { Values?: string[] | undefined } | undefined): string[] => {
      if (cfg?.Values && legacy.length > 0) throw validation(`You cannot specify both 'Values' and a '${field}' condition config`);
      return cfg?.Values ?? legacy;
    };
    const nonEmpty = (vs: readonly string[]) => {
      if (vs.length === 0) throw validation(`A '${field}' condition must have at least one value`);
      for (const v of vs) {
        if (v === "" || v.length > 128) throw validation(`Condition value '${v}' must be between 1 and 128 characters`);
      }
      values += vs.length;
      return [...vs];
    };
    const noLegacy = () => {
      if (legacy.length > 0) throw validation(`'Values' cannot be used with a '${field}' condition; use its condition config`);
    };
    switch (field) {
      case "path-pattern": {
        const vs = nonEmpty(configValues(c.PathPatternConfig));
        wild(vs);
        return { Field: field, Values: vs, PathPatternConfig: { Values: vs } };
      }
      case "host-header": {
        const vs = nonEmpty(configValues(c.HostHeaderConfig));
        wild(vs);
        return { Field: field, Values: vs, HostHeaderConfig: { Values: vs } };
      }
      case "http-header": {
        noLegacy();
        const name = c.HttpHeaderConfig?.HttpHeaderName ?? "";
        if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,40}$/.test(name)) throw validation(`HTTP header name '${name}' is not valid`);
        const vs = nonEmpty(c.HttpHeaderConfig?.Values ?? []);
        wild(vs);
        return { Field: field, HttpHeaderConfig: { HttpHeaderName: name, Values: vs } };
      }
      case "http-request-method": {
        noLegacy();
        const vs = nonEmpty(c.HttpRequestMethodConfig?.Values ?? []);
        for (const v of vs) if (!/^[A-Z_-]{1,40}$/.test(v)) throw validation(`HTTP request method '${v}' is not valid`);
        return { Field: field, HttpRequestMethodConfig: { Values: vs } };
      }
      case "query-string": {
        noLegacy();
        const pairs = c.QueryStringConfig?.Values ?? [];
        if (pairs.length === 0) throw validation("A 'query-string' condition must have at least one value");
        for (const p of pairs) {
          if (!p.Value) throw validation("A query-string condition value must have a non-empty Value");
          if (p.Key === "") throw validation("A query-string condition key cannot be empty");
        }
        values += pairs.length;
        for (const p of pairs) {
          if (p.Value!.length > 128 || (p.Key?.length ?? 0) > 128) throw validation("Query string keys and values must be at most 128 characters");
          wild([p.Key, p.Value]);
        }
        return {
          Field: field,
          QueryStringConfig: { Values: pairs.map((p) => (p.Key !== undefined ? { Key: p.Key, Value: p.Value! } : { Value: p.Value! })) },
        };
      }
      default: {
        noLegacy();
        const vs = nonEmpty(c.SourceIpConfig?.Values ?? []);
        for (const v of vs) if (!isCidr(v)) throw validation(`Source IP '${v}' is not a valid CIDR block`);
        return { Field: field, SourceIpConfig: { Values: vs } };
      }
    }
  });
  if (values > 5) throw validation("A rule can only have '5' condition values");
  // ALB's quota "Wildcards per rule" is 5 (`*` and `?` across all condition values):
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
  if (wildcards > 5) throw validation("A rule can only have '5' wildcards");
  return out;
}

export function isCidr(v: string): boolean {
  const [ip, bits, extra] = v.split("/");
  if (extra !== undefined || ip === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  const n = Number(bits);
  if (n > (family === 4 ? 32 : 128)) return false;
  return v !== "255.255.255.255/32";
}
