/**
 * Listener rule matching, pure and precompiled once per RoutingTable: AND across conditions, OR
 * across the values of one condition, rules in priority order (the table lists them that way,
 * default last), first match wins
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html).
 * Wildcard values match through src/core/glob.ts (linear time, no regular expressions).
 */
import type { IncomingHttpHeaders } from "node:http";
import { BlockList, isIPv6 } from "node:net";
import { compileGlob } from "../core/glob.ts";

/** ALB wildcards: `*` and `?`; host, header and query values compare case-insensitively. */
const ALB = { question: true } as const;
const ALB_CI = { question: true, caseInsensitive: true } as const;
import type { Condition, RuleRoutes } from "./routing-table.ts";

/** What a rule can look at: the request line, its headers and the TCP peer. */
export interface RequestFacts {
  readonly method: string;
  /** The request target as received (path plus optional `?query`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The TCP peer address (not X-Forwarded-For). */
  readonly sourceIp: string;
}

type Test = (facts: RequestFacts, parsed: ParsedUrl) => boolean;

export interface CompiledRule {
  readonly rule: RuleRoutes;
  readonly tests: readonly Test[];
}

interface ParsedUrl {
  path: string | undefined;
  query: string | undefined;
  pairs: [string, string][] | undefined;
}

/** The path of a request target (origin-form or absolute-form), without the query. */
export function splitTarget(url: string): { path: string; query: string } {
  let rest = url;
  if (!rest.startsWith("/")) {
    const scheme = rest.indexOf("://");
    if (scheme >= 0) {
      const slash = rest.indexOf("/", scheme + 3);
      rest = slash >= 0 ? rest.slice(slash) : "/";
    }
  }
  const q = rest.indexOf("?");
  return q >= 0 ? { path: rest.slice(0, q), query: rest.slice(q + 1) } : { path: rest, query: "" };
}

/** Host header without any `:port` (IPv6 literals keep their brackets). */
export function hostWithoutPort(host: string | undefined): string {
  if (!host) return "";
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end >= 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

function decode(s: string): string {
  const plus = s.includes("+") ? s.replace(/\+/g, " ") : s;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

function ensurePath(p: ParsedUrl, url: string): void {
  if (p.path !== undefined) return;
  const { path, query } = splitTarget(url);
  p.path = path;
  p.query = query;
}

function queryPairs(p: ParsedUrl, url: string): [string, string][] {
  ensurePath(p, url);
  if (p.pairs) return p.pairs;
  const pairs: [string, string][] = [];
  if (p.query) {
    for (const part of p.query.split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      pairs.push(eq >= 0 ? [decode(part.slice(0, eq)), decode(part.slice(eq + 1))] : [decode(part), ""]);
    }
  }
  p.pairs = pairs;
  return pairs;
}

/** Strips the IPv4-mapped IPv6 prefix so `::ffff:10.0.0.1` matches IPv4 CIDRs. */
export function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

function compileCondition(c: Condition): Test {
  switch (c.field) {
    case "path-pattern": {
      const res = c.values.map((v) => compileGlob(v, ALB));
      return (f, p) => {
        ensurePath(p, f.url);
        const path = p.path!;
        return res.some((re) => re.matches(path));
      };
    }
    case "host-header": {
      const res = c.values.map((v) => compileGlob(v, ALB_CI));
      return (f) => {
        const host = hostWithoutPort(f.headers.host);
        return res.some((re) => re.matches(host));
      };
    }
    case "http-header": {
      const name = c.name.toLowerCase();
      const res = c.values.map((v) => compileGlob(v, ALB_CI));
      return (f) => {
        const raw = f.headers[name];
        if (raw === undefined) return false;
        const values = Array.isArray(raw) ? raw : [raw];
        return values.some((v) => res.some((re) => re.matches(v)));
      };
    }
    case "http-request-method": {
      const methods = new Set(c.values);
      return (f) => methods.has(f.method);
    }
    case "query-string": {
      const pats = c.values.map((v) => ({
        key: v.key === undefined ? undefined : compileGlob(v.key, ALB_CI),
        value: compileGlob(v.value, ALB_CI),
      }));
      return (f, p) => {
        const pairs = queryPairs(p, f.url);
        return pats.some((pat) => pairs.some(([k, v]) => (pat.key === undefined || pat.key.matches(k)) && pat.value.matches(v)));
      };
    }
    case "source-ip": {
      const list = new BlockList();
      for (const cidr of c.values) {
        const [net, bits] = cidr.split("/");
        if (!net) continue;
        const type = isIPv6(net) ? "ipv6" : "ipv4";
        const prefix = bits === undefined ? (type === "ipv6" ? 128 : 32) : Number(bits);
        try {
          list.addSubnet(net, prefix, type);
        } catch {
          // An invalid CIDR never matches (the API validates them).
        }
      }
      return (f) => {
        const ip = normalizeIp(f.sourceIp);
        try {
          return list.check(ip, isIPv6(ip) ? "ipv6" : "ipv4");
        } catch {
          return false;
        }
      };
    }
  }
}

export function compileRules(rules: readonly RuleRoutes[]): CompiledRule[] {
  return rules.map((rule) => ({ rule, tests: rule.conditions.map(compileCondition) }));
}

/** The first rule (in the given priority order) whose conditions all hold. */
export function matchRule(rules: readonly CompiledRule[], facts: RequestFacts): RuleRoutes | undefined {
  const parsed: ParsedUrl = { path: undefined, query: undefined, pairs: undefined };
  outer: for (const r of rules) {
    for (const t of r.tests) if (!t(facts, parsed)) continue outer;
    return r.rule;
  }
  return undefined;
}
