import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Condition, RuleRoutes } from "./routing-table.ts";
import { compileGlob } from "../core/glob.ts";
import { type RequestFacts, compileRules, hostWithoutPort, matchRule } from "./rules.ts";

const fixed = { type: "fixed-response", statusCode: "200" } as const;
const r = (priority: number | "default", ...conditions: Condition[]): RuleRoutes => ({ ruleArn: `r${priority}`, priority, conditions, action: fixed });
const facts = (f: Partial<RequestFacts>): RequestFacts => ({ method: "GET", url: "/", headers: {}, sourceIp: "127.0.0.1", ...f });
const first = (rules: RuleRoutes[], f: Partial<RequestFacts>) => matchRule(compileRules(rules), facts(f))?.ruleArn;

describe("rules", () => {
  it("globs: * is 0+ chars, ? exactly one, whole input, regex characters literal", () => {
    assert.ok(compileGlob("/img/*", { question: true }).matches("/img/a/b.png"));
    assert.ok(compileGlob("/img/*", { question: true }).matches("/img/"));
    assert.ok(!compileGlob("/api", { question: true }).matches("/api/x"));
    assert.ok(compileGlob("/a?c", { question: true }).matches("/abc"));
    assert.ok(!compileGlob("/a?c", { question: true }).matches("/ac"));
    assert.ok(compileGlob("/v1.0/(x)", { question: true }).matches("/v1.0/(x)"));
    assert.ok(!compileGlob("/v1.0", { question: true }).matches("/v1x0"));
  });

  it("path-pattern is case-sensitive and ignores the query", () => {
    const rules = [r(1, { field: "path-pattern", values: ["/api/*"] }), r("default")];
    assert.equal(first(rules, { url: "/api/users?id=1" }), "r1");
    assert.equal(first(rules, { url: "/API/users" }), "rdefault");
    assert.equal(first(rules, { url: "http://h.example/api/x?q" }), "r1", "absolute-form target");
  });

  it("host-header is case-insensitive, wildcarded, and ignores the port", () => {
    const rules = [r(1, { field: "host-header", values: ["*.example.com"] }), r("default")];
    assert.equal(first(rules, { headers: { host: "WWW.EXAMPLE.com:8080" } }), "r1");
    assert.equal(first(rules, { headers: { host: "example.com" } }), "rdefault", "*.x does not match x");
    assert.equal(hostWithoutPort("[::1]:80"), "[::1]");
  });

  it("http-header, http-request-method and query-string", () => {
    const rules = [
      r(1, { field: "http-header", name: "X-Env", values: ["stag*"] }),
      r(2, { field: "http-request-method", values: ["POST"] }),
      r(3, { field: "query-string", values: [{ key: "v", value: "2*" }] }),
      r(4, { field: "query-string", values: [{ value: "beta" }] }),
      r("default"),
    ];
    assert.equal(first(rules, { headers: { "x-env": "STAGING" } }), "r1");
    assert.equal(first(rules, { method: "POST" }), "r2");
    assert.equal(first(rules, { method: "post" }), "rdefault", "method is case-sensitive");
    assert.equal(first(rules, { url: "/?a=1&V=20" }), "r3");
    assert.equal(first(rules, { url: "/?anything=BETA" }), "r4", "a pair without key matches any key");
    assert.equal(first(rules, { url: "/?v=1" }), "rdefault");
  });

  it("source-ip matches the TCP peer against CIDRs (IPv4, IPv4-mapped and IPv6)", () => {
    const rules = [r(1, { field: "source-ip", values: ["10.0.0.0/8", "fd00::/8"] }), r("default")];
    assert.equal(first(rules, { sourceIp: "10.1.2.3" }), "r1");
    assert.equal(first(rules, { sourceIp: "::ffff:10.1.2.3" }), "r1");
    assert.equal(first(rules, { sourceIp: "fd12::1" }), "r1");
    assert.equal(first(rules, { sourceIp: "127.0.0.1", headers: { "x-forwarded-for": "10.0.0.1" } }), "rdefault");
  });

  it("ANDs conditions, ORs values, and takes the first match in order", () => {
    const rules = [
      r(1, { field: "path-pattern", values: ["/a", "/b"] }, { field: "http-request-method", values: ["GET"] }),
      r(2, { field: "path-pattern", values: ["/*"] }),
      r("default"),
    ];
    assert.equal(first(rules, { url: "/b" }), "r1");
    assert.equal(first(rules, { url: "/b", method: "PUT" }), "r2");
    assert.equal(first(rules, { url: "/c" }), "r2");
  });
});
