/** ELBv2 operations through the real ElasticLoadBalancingV2Client against startSlipway on FakeRuntime. */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as acm from "@aws-sdk/client-acm";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { selfSigned } from "../helpers/certs.ts";
import { expectError } from "../helpers/errors.ts";

const REGION = "us-east-1";
const SCOPE = { accountId: "000000000000", region: REGION };

let s: Slipway;
let client: elb.ElasticLoadBalancingV2Client;
let dir: string;
let clock: ManualClock;


before(async () => {
  clock = new ManualClock();
  dir = mkdtempSync(join(tmpdir(), "slipway-elbv2-api-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, ids: seededIds("elb"), log: () => {} });
  client = new elb.ElasticLoadBalancingV2Client({
    region: REGION,
    endpoint: s.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

after(async () => {
  client.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ELBv2 API through ElasticLoadBalancingV2Client", () => {
  let lbArn = "";
  let tgArn = "";
  let tg2Arn = "";
  let listenerArn = "";
  let ruleArn = "";

  test("Terraform's aws_lb sequence: not found by name, create, 14 attributes, describe, capacity, tags", async () => {
    await expectError(client.send(new elb.DescribeLoadBalancersCommand({ Names: ["web"] })), "LoadBalancerNotFoundException", "One or more load balancers not found");
    const created = await client.send(
      new elb.CreateLoadBalancerCommand({
        Name: "web",
        Subnets: ["subnet-aaa", "subnet-bbb"],
        SecurityGroups: ["sg-123"],
        Tags: [{ Key: "env", Value: "dev" }],
      }),
    );
    const lb = created.LoadBalancers![0]!;
    lbArn = lb.LoadBalancerArn!;
    assert.match(lbArn, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/web\/[0-9a-f]{16}$/);
    const id = lbArn.split("/")[3]!;
    assert.equal(lb.DNSName, `web-${id.slice(0, 8)}.us-east-1.elb.localhost`);
    assert.equal(lb.CanonicalHostedZoneId, "Z35SXDOTRQ7X7K");
    assert.deepEqual(lb.State, { Code: "active" });
    assert.equal(lb.Type, "application");
    assert.equal(lb.Scheme, "internet-facing");
    assert.equal(lb.IpAddressType, "ipv4");
    assert.equal(lb.VpcId, "vpc-00000000");
    assert.deepEqual(lb.SecurityGroups, ["sg-123"]);
    assert.deepEqual(
      lb.AvailabilityZones?.map((z) => [z.ZoneName, z.SubnetId]),
      [
        ["us-east-1a", "subnet-aaa"],
        ["us-east-1b", "subnet-bbb"],
      ],
    );
    assert.ok(lb.CreatedTime instanceof Date);

    const attrs14 = [
      ["access_logs.s3.enabled", "false"],
      ["access_logs.s3.bucket", ""],
      ["access_logs.s3.prefix", ""],
      ["client_keep_alive.seconds", "3600"],
      ["deletion_protection.enabled", "false"],
      ["idle_timeout.timeout_seconds", "120"],
      ["routing.http.desync_mitigation_mode", "defensive"],
      ["routing.http.drop_invalid_header_fields.enabled", "true"],
      ["routing.http.preserve_host_header.enabled", "false"],
      ["routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false"],
      ["routing.http.xff_client_port.enabled", "false"],
      ["routing.http.xff_header_processing.mode", "append"],
      ["routing.http2.enabled", "true"],
      ["waf.fail_open.enabled", "false"],
    ].map(([Key, Value]) => ({ Key, Value }));
    const mod = await client.send(new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: attrs14 }));
    const described = await client.send(new elb.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn }));
    assert.deepEqual(mod.Attributes, described.Attributes);
    const map = new Map(described.Attributes!.map((a) => [a.Key, a.Value]));
    assert.ok(map.size >= 20, "every key is returned");
    for (const a of attrs14) assert.equal(map.get(a.Key), a.Value, a.Key);
    assert.equal(map.get("zonal_shift.config.enabled"), "false");
    assert.equal(map.get("connection_logs.s3.enabled"), "false");

    const byArn = await client.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
    assert.equal(byArn.LoadBalancers?.[0]?.LoadBalancerName, "web");
    const byName = await client.send(new elb.DescribeLoadBalancersCommand({ Names: ["web"] }));
    assert.equal(byName.LoadBalancers?.[0]?.LoadBalancerArn, lbArn);
    const cap = await client.send(new elb.DescribeCapacityReservationCommand({ LoadBalancerArn: lbArn }));
    assert.deepEqual(cap.CapacityReservationState, []);
    const tags = await client.send(new elb.DescribeTagsCommand({ ResourceArns: [lbArn] }));
    assert.deepEqual(tags.TagDescriptions, [{ ResourceArn: lbArn, Tags: [{ Key: "env", Value: "dev" }] }]);
    await elb.waitUntilLoadBalancerAvailable({ client, maxWaitTime: 5, minDelay: 1 }, { LoadBalancerArns: [lbArn] });
  });

  test("CreateLoadBalancer: idempotent, DuplicateLoadBalancerName, ValidationError, pagination", async () => {
    const again = await client.send(new elb.CreateLoadBalancerCommand({ Name: "web", Subnets: ["subnet-aaa", "subnet-bbb"], SecurityGroups: ["sg-123"] }));
    assert.equal(again.LoadBalancers?.[0]?.LoadBalancerArn, lbArn);
    await expectError(client.send(new elb.CreateLoadBalancerCommand({ Name: "web", Scheme: "internal" })), "DuplicateLoadBalancerNameException");
    await expectError(client.send(new elb.CreateLoadBalancerCommand({ Name: "bad_name" })), "ValidationError", /alphanumeric/);
    await expectError(client.send(new elb.CreateLoadBalancerCommand({ Name: "-x" })), "ValidationError");
    await expectError(client.send(new elb.CreateLoadBalancerCommand({ Name: "x".repeat(33) })), "ValidationError");
    // model validation of enums
    await expectError(client.send(new elb.CreateLoadBalancerCommand({ Name: "ok", Scheme: "public" as never })), "ValidationError", /enum value set/);
    const internal = await client.send(new elb.CreateLoadBalancerCommand({ Name: "api", Scheme: "internal" }));
    assert.match(internal.LoadBalancers![0]!.DNSName!, /^internal-api-[0-9a-f]{8}\.us-east-1\.elb\.localhost$/);
    assert.equal(internal.LoadBalancers![0]!.AvailabilityZones!.length, 2);
    const p1 = await client.send(new elb.DescribeLoadBalancersCommand({ PageSize: 1 }));
    assert.equal(p1.LoadBalancers?.length, 1);
    assert.ok(p1.NextMarker);
    const p2 = await client.send(new elb.DescribeLoadBalancersCommand({ PageSize: 1, Marker: p1.NextMarker }));
    assert.equal(p2.LoadBalancers?.length, 1);
    assert.equal(p2.NextMarker, undefined);
    assert.notEqual(p1.LoadBalancers![0]!.LoadBalancerArn, p2.LoadBalancers![0]!.LoadBalancerArn);
    await expectError(client.send(new elb.DescribeLoadBalancersCommand({ Names: ["web", "nope"] })), "LoadBalancerNotFoundException");
    await expectError(
      client.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn.replace(/[0-9a-f]{16}$/, "0".repeat(16))] })),
      "LoadBalancerNotFoundException",
    );
    await expectError(client.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: ["not-an-arn"] })), "ValidationError");
    const sg = await client.send(new elb.SetSecurityGroupsCommand({ LoadBalancerArn: internal.LoadBalancers![0]!.LoadBalancerArn, SecurityGroups: ["sg-1", "sg-2"] }));
    assert.deepEqual(sg.SecurityGroupIds, ["sg-1", "sg-2"]);
    const sn = await client.send(new elb.SetSubnetsCommand({ LoadBalancerArn: internal.LoadBalancers![0]!.LoadBalancerArn, Subnets: ["subnet-1", "subnet-2", "subnet-3"] }));
    assert.deepEqual(sn.AvailabilityZones?.map((z) => z.ZoneName), ["us-east-1a", "us-east-1b", "us-east-1c"]);
    await client.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: internal.LoadBalancers![0]!.LoadBalancerArn }));
    await client.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: internal.LoadBalancers![0]!.LoadBalancerArn })); // idempotent
  });

  test("LB attribute validation", async () => {
    await expectError(
      client.send(new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: "idle_timeout.timeout_seconds", Value: "0" }] })),
      "ValidationError",
    );
    await expectError(client.send(new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: "nope", Value: "1" }] })), "ValidationError", /not recognized/);
    await expectError(
      client.send(new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: "routing.http.xff_header_processing.mode", Value: "drop" }] })),
      "ValidationError",
    );
    await expectError(
      client.send(new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: "access_logs.s3.enabled", Value: "true" }] })),
      "InvalidConfigurationRequestException",
    );
  });

  test("target groups: defaults, idempotency, duplicates, not found, attributes", async () => {
    await expectError(client.send(new elb.DescribeTargetGroupsCommand({ Names: ["web-tg"] })), "TargetGroupNotFoundException", "One or more target groups not found");
    const created = await client.send(new elb.CreateTargetGroupCommand({ Name: "web-tg", Port: 8080, TargetType: "ip", VpcId: "vpc-1" }));
    const tg = created.TargetGroups![0]!;
    tgArn = tg.TargetGroupArn!;
    assert.match(tgArn, /:targetgroup\/web-tg\/[0-9a-f]{16}$/);
    assert.deepEqual(
      { ...tg, TargetGroupArn: undefined },
      {
        TargetGroupArn: undefined,
        TargetGroupName: "web-tg",
        Protocol: "HTTP",
        Port: 8080,
        VpcId: "vpc-1",
        HealthCheckProtocol: "HTTP",
        HealthCheckPort: "traffic-port",
        HealthCheckEnabled: true,
        HealthCheckIntervalSeconds: 30,
        HealthCheckTimeoutSeconds: 5,
        HealthyThresholdCount: 5,
        UnhealthyThresholdCount: 2,
        HealthCheckPath: "/",
        Matcher: { HttpCode: "200" },
        LoadBalancerArns: [],
        TargetType: "ip",
        ProtocolVersion: "HTTP1",
        IpAddressType: "ipv4",
      },
    );
    const again = await client.send(new elb.CreateTargetGroupCommand({ Name: "web-tg", Port: 8080, TargetType: "ip", VpcId: "vpc-1" }));
    assert.equal(again.TargetGroups?.[0]?.TargetGroupArn, tgArn);
    await expectError(client.send(new elb.CreateTargetGroupCommand({ Name: "web-tg", Port: 9090, TargetType: "ip", VpcId: "vpc-1" })), "DuplicateTargetGroupNameException");
    await expectError(client.send(new elb.CreateTargetGroupCommand({ Name: "t", HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 10 })), "ValidationError");
    await expectError(client.send(new elb.CreateTargetGroupCommand({ Name: "t", Matcher: { HttpCode: "600" } })), "ValidationError");
    const inst = await client.send(new elb.CreateTargetGroupCommand({ Name: "inst-tg", Protocol: "HTTP", Port: 80, HealthyThresholdCount: 3 }));
    tg2Arn = inst.TargetGroups![0]!.TargetGroupArn!;
    assert.equal(inst.TargetGroups![0]!.TargetType, "instance");

    const d = await client.send(new elb.DescribeTargetGroupsCommand({ Names: ["web-tg", "inst-tg"] }));
    assert.deepEqual(d.TargetGroups?.map((t) => t.TargetGroupName), ["web-tg", "inst-tg"]);
    await expectError(client.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn.replace(/[0-9a-f]{16}$/, "f".repeat(16))] })), "TargetGroupNotFoundException");

    const m = await client.send(new elb.ModifyTargetGroupCommand({ TargetGroupArn: tg2Arn, HealthCheckPath: "/health", Matcher: { HttpCode: "200-299" } }));
    assert.equal(m.TargetGroups?.[0]?.HealthCheckPath, "/health");
    assert.equal(m.TargetGroups?.[0]?.Matcher?.HttpCode, "200-299");

    const attrs = await client.send(new elb.DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgArn }));
    const map = new Map(attrs.Attributes!.map((a) => [a.Key, a.Value]));
    assert.equal(map.get("deregistration_delay.timeout_seconds"), "300");
    assert.equal(map.get("stickiness.enabled"), "false");
    assert.equal(map.get("stickiness.type"), "lb_cookie");
    assert.equal(map.get("stickiness.lb_cookie.duration_seconds"), "86400");
    assert.equal(map.get("slow_start.duration_seconds"), "0");
    assert.equal(map.get("load_balancing.algorithm.type"), "round_robin");
    assert.equal(map.get("load_balancing.cross_zone.enabled"), "use_load_balancer_configuration");
    assert.equal(map.get("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"), "1");
    const mod = await client.send(
      new elb.ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tgArn,
        Attributes: [
          { Key: "deregistration_delay.timeout_seconds", Value: "30" },
          { Key: "stickiness.enabled", Value: "true" },
        ],
      }),
    );
    assert.equal(mod.Attributes?.length, attrs.Attributes?.length, "all keys returned");
    assert.equal(new Map(mod.Attributes!.map((a) => [a.Key, a.Value])).get("deregistration_delay.timeout_seconds"), "30");
    await expectError(
      client.send(
        new elb.ModifyTargetGroupAttributesCommand({
          TargetGroupArn: tgArn,
          Attributes: [
            { Key: "slow_start.duration_seconds", Value: "60" },
            { Key: "load_balancing.algorithm.type", Value: "least_outstanding_requests" },
          ],
        }),
      ),
      "InvalidConfigurationRequestException",
    );
    await expectError(
      client.send(new elb.ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: "stickiness.app_cookie.cookie_name", Value: "AWSALBX" }] })),
      "ValidationError",
    );
  });

  test("listeners: create, duplicate, describe, modify, attributes; default rule", async () => {
    const c = await client.send(
      new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Port: 8081, Protocol: "HTTP", DefaultActions: [{ Type: "forward", TargetGroupArn: tgArn }] }),
    );
    const l = c.Listeners![0]!;
    listenerArn = l.ListenerArn!;
    assert.match(listenerArn, new RegExp(`^${lbArn.replace("loadbalancer/", "listener/")}/[0-9a-f]{16}$`));
    assert.deepEqual(l.DefaultActions, [
      {
        Type: "forward",
        TargetGroupArn: tgArn,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: tgArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      },
    ]);
    await expectError(
      client.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Port: 8081, Protocol: "HTTP", DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }] })),
      "DuplicateListenerException",
    );
    await expectError(
      client.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Port: 80, Protocol: "HTTP", DefaultActions: [{ Type: "forward", TargetGroupArn: tgArn.replace(/[0-9a-f]{16}$/, "0".repeat(16)) }] })),
      "TargetGroupNotFoundException",
    );
    await expectError(
      client.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Port: 80, Protocol: "HTTP", DefaultActions: [{ Type: "redirect", RedirectConfig: { StatusCode: "HTTP_301" } }] })),
      "InvalidLoadBalancerActionException",
    );
    await expectError(
      client.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Port: 80, Protocol: "HTTP", DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "302" } }] })),
      "ValidationError",
    );
    await expectError(
      client.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn.replace(/[0-9a-f]{16}$/, "0".repeat(16)), Port: 80, Protocol: "HTTP", DefaultActions: [{ Type: "forward", TargetGroupArn: tgArn }] })),
      "LoadBalancerNotFoundException",
    );
    const redirect = await client.send(
      new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Port: 80, Protocol: "HTTP", DefaultActions: [{ Type: "redirect", RedirectConfig: { Port: "8081", StatusCode: "HTTP_301" } }] }),
    );
    assert.deepEqual(redirect.Listeners![0]!.DefaultActions![0]!.RedirectConfig, {
      Protocol: "#{protocol}",
      Port: "8081",
      Host: "#{host}",
      Path: "/#{path}",
      Query: "#{query}",
      StatusCode: "HTTP_301",
    });
    // An HTTPS listener needs a certificate ACM knows (a self-signed one, imported).
    const cert = await selfSigned(["listener.example.test"], { fromMs: clock.now() - 86_400_000 });
    const acmClient = new acm.ACMClient({ region: REGION, endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
    const imported = await acmClient.send(
      new acm.ImportCertificateCommand({ Certificate: new TextEncoder().encode(cert.certificatePem), PrivateKey: new TextEncoder().encode(cert.privateKeyPem) }),
    );
    acmClient.destroy();
    const https = await client.send(
      new elb.CreateListenerCommand({
        LoadBalancerArn: lbArn,
        Port: 443,
        Protocol: "HTTPS",
        Certificates: [{ CertificateArn: imported.CertificateArn }],
        DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "503", ContentType: "text/plain", MessageBody: "down" } }],
      }),
    );
    assert.equal(https.Listeners![0]!.SslPolicy, "ELBSecurityPolicy-2016-08");

    const d = await client.send(new elb.DescribeListenersCommand({ LoadBalancerArn: lbArn }));
    assert.deepEqual(d.Listeners?.map((x) => x.Port), [80, 443, 8081]);
    await expectError(client.send(new elb.DescribeListenersCommand({ ListenerArns: [listenerArn.replace(/[0-9a-f]{16}$/, "0".repeat(16))] })), "ListenerNotFoundException", "One or more listeners not found");

    const attrs = await client.send(new elb.DescribeListenerAttributesCommand({ ListenerArn: listenerArn }));
    assert.equal(new Map(attrs.Attributes!.map((a) => [a.Key, a.Value])).get("routing.http.response.server.enabled"), "true");
    const mod = await client.send(
      new elb.ModifyListenerAttributesCommand({ ListenerArn: listenerArn, Attributes: [{ Key: "routing.http.response.server.enabled", Value: "false" }] }),
    );
    assert.equal(new Map(mod.Attributes!.map((a) => [a.Key, a.Value])).get("routing.http.response.server.enabled"), "false");
    await expectError(
      client.send(new elb.ModifyListenerAttributesCommand({ ListenerArn: listenerArn, Attributes: [{ Key: "tcp.idle_timeout.seconds", Value: "60" }] })),
      "ValidationError",
    );

    const ml = await client.send(new elb.ModifyListenerCommand({ ListenerArn: https.Listeners![0]!.ListenerArn, Port: 8443 }));
    assert.equal(ml.Listeners?.[0]?.Port, 8443);
    await expectError(client.send(new elb.ModifyListenerCommand({ ListenerArn: https.Listeners![0]!.ListenerArn, Port: 80 })), "DuplicateListenerException");
    await client.send(new elb.DeleteListenerCommand({ ListenerArn: https.Listeners![0]!.ListenerArn }));
    await expectError(client.send(new elb.DeleteListenerCommand({ ListenerArn: https.Listeners![0]!.ListenerArn })), "ListenerNotFoundException");

    const rules = await client.send(new elb.DescribeRulesCommand({ ListenerArn: listenerArn }));
    assert.equal(rules.Rules?.length, 1);
    assert.equal(rules.Rules![0]!.Priority, "default");
    assert.equal(rules.Rules![0]!.IsDefault, true);
    assert.deepEqual(rules.Rules![0]!.Conditions, []);

    const tgd = await client.send(new elb.DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }));
    assert.deepEqual(tgd.TargetGroups?.map((t) => t.TargetGroupArn), [tgArn]);
    assert.deepEqual(tgd.TargetGroups?.[0]?.LoadBalancerArns, [lbArn]);
  });

  test("rules: conditions (legacy and config), PriorityInUse, modify, priorities, delete", async () => {
    const r = await client.send(
      new elb.CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 10,
        Conditions: [
          { Field: "path-pattern", Values: ["/api/*"] },
          { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "X-Env", Values: ["dev"] } },
        ],
        Actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: tgArn, Weight: 3 }, { TargetGroupArn: tg2Arn, Weight: 1 }] } }],
        Tags: [{ Key: "r", Value: "1" }],
      }),
    );
    const rule = r.Rules![0]!;
    ruleArn = rule.RuleArn!;
    assert.match(ruleArn, new RegExp(`^${listenerArn.replace("listener/", "listener-rule/")}/[0-9a-f]{16}$`));
    assert.equal(rule.Priority, "10");
    assert.deepEqual(rule.Conditions, [
      { Field: "path-pattern", Values: ["/api/*"], PathPatternConfig: { Values: ["/api/*"] } },
      { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "X-Env", Values: ["dev"] } },
    ]);
    assert.equal(rule.Actions![0]!.TargetGroupArn, undefined);
    await expectError(
      client.send(new elb.CreateRuleCommand({ ListenerArn: listenerArn, Priority: 10, Conditions: [{ Field: "host-header", Values: ["a.example.com"] }], Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }] })),
      "PriorityInUseException",
    );
    await expectError(
      client.send(new elb.CreateRuleCommand({ ListenerArn: listenerArn, Priority: 50001, Conditions: [{ Field: "host-header", Values: ["a"] }], Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }] })),
      "ValidationError",
    );
    await expectError(
      client.send(new elb.CreateRuleCommand({ ListenerArn: listenerArn, Priority: 11, Conditions: [{ Field: "cookie", Values: ["a"] }], Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }] })),
      "ValidationError",
    );
    await expectError(
      client.send(new elb.CreateRuleCommand({ ListenerArn: listenerArn, Priority: 11, Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: ["10.0.0.0/33"] } }], Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }] })),
      "ValidationError",
    );
    const r2 = await client.send(
      new elb.CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 5,
        Conditions: [
          { Field: "host-header", HostHeaderConfig: { Values: ["*.example.com"] } },
          { Field: "http-request-method", HttpRequestMethodConfig: { Values: ["GET"] } },
          { Field: "query-string", QueryStringConfig: { Values: [{ Key: "v", Value: "2" }] } },
          { Field: "source-ip", SourceIpConfig: { Values: ["127.0.0.0/8"] } },
        ],
        Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200", ContentType: "text/plain", MessageBody: "ok" } }],
      }),
    );
    const rules = await client.send(new elb.DescribeRulesCommand({ ListenerArn: listenerArn }));
    assert.deepEqual(rules.Rules?.map((x) => x.Priority), ["5", "10", "default"]);

    const m = await client.send(new elb.ModifyRuleCommand({ RuleArn: ruleArn, Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/v2/*"] } }] }));
    assert.deepEqual(m.Rules?.[0]?.Conditions, [{ Field: "path-pattern", Values: ["/v2/*"], PathPatternConfig: { Values: ["/v2/*"] } }]);
    assert.equal(m.Rules?.[0]?.Priority, "10");
    const defaultRule = rules.Rules!.find((x) => x.IsDefault)!;
    await expectError(client.send(new elb.DeleteRuleCommand({ RuleArn: defaultRule.RuleArn })), "OperationNotPermittedException");
    await expectError(client.send(new elb.SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: 5 }] })), "PriorityInUseException");
    const swapped = await client.send(
      new elb.SetRulePrioritiesCommand({
        RulePriorities: [
          { RuleArn: ruleArn, Priority: 5 },
          { RuleArn: r2.Rules![0]!.RuleArn, Priority: 10 },
        ],
      }),
    );
    assert.deepEqual(swapped.Rules?.map((x) => x.Priority), ["5", "10"]);
    const after = await client.send(new elb.DescribeRulesCommand({ ListenerArn: listenerArn }));
    assert.deepEqual(after.Rules?.map((x) => x.RuleArn), [ruleArn, r2.Rules![0]!.RuleArn, defaultRule.RuleArn]);

    // the routing table follows
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    const table = s.routing.current();
    const lr = [...table.listeners.values()].find((l) => l.port === 8081)!;
    assert.deepEqual(lr.rules.map((x) => x.priority), [5, 10, "default"]);
    assert.equal(lr.idleTimeoutSeconds, 120);
    assert.deepEqual(lr.rules[0]!.action, { type: "forward", targetGroups: [{ arn: tgArn, weight: 3 }, { arn: tg2Arn, weight: 1 }] });
    assert.deepEqual(lr.rules[0]!.conditions, [{ field: "path-pattern", values: ["/v2/*"] }]);
    assert.equal(table.targetGroups.get(tg2Arn)?.inUse, true);

    await client.send(new elb.DeleteRuleCommand({ RuleArn: r2.Rules![0]!.RuleArn }));
    await expectError(client.send(new elb.DeleteRuleCommand({ RuleArn: r2.Rules![0]!.RuleArn })), "RuleNotFoundException", "One or more rules not found");
    await expectError(client.send(new elb.DescribeRulesCommand({ RuleArns: [r2.Rules![0]!.RuleArn!] })), "RuleNotFoundException");
  });

  test("rules: at most 5 wildcards per rule (ALB's quota), counted over every condition value", async () => {
    const fixed = [{ Type: "fixed-response" as const, FixedResponseConfig: { StatusCode: "200" } }];
    await expectError(
      client.send(
        new elb.CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 40,
          Conditions: [
            { Field: "path-pattern", PathPatternConfig: { Values: ["/*/*/*/*.png"] } },
            { Field: "host-header", HostHeaderConfig: { Values: ["*.a?.example.com"] } },
          ],
          Actions: fixed,
        }),
      ),
      "ValidationError",
      "A rule can only have '5' wildcards",
    );
    const ok = await client.send(
      new elb.CreateRuleCommand({ ListenerArn: listenerArn, Priority: 40, Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/*/*/*/*.png"] } }], Actions: fixed }),
    );
    await expectError(
      client.send(
        new elb.ModifyRuleCommand({
          RuleArn: ok.Rules![0]!.RuleArn,
          Conditions: [
            { Field: "path-pattern", PathPatternConfig: { Values: ["/*/*/*/*.png"] } },
            { Field: "query-string", QueryStringConfig: { Values: [{ Key: "?", Value: "*" }] } },
          ],
        }),
      ),
      "ValidationError",
      "A rule can only have '5' wildcards",
    );
    await client.send(new elb.DeleteRuleCommand({ RuleArn: ok.Rules![0]!.RuleArn }));
  });

  test("targets: register, health states, deregistration drains then disappears", async () => {
    await expectError(client.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: "i-0123456789abcdef0" }] })), "InvalidTargetException");
    await expectError(client.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tg2Arn, Targets: [{ Id: "10.0.0.1" }] })), "InvalidTargetException");
    await expectError(
      client.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: "127.0.0.1", Port: 9001 }] })),
      "InvalidTargetException",
      "The IP address '127.0.0.1' is a loopback address and cannot be registered as a target",
    );
    await client.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: "10.9.0.1", Port: 9001 }, { Id: "10.9.0.2" }] }));
    const h = await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
    assert.deepEqual(
      h.TargetHealthDescriptions?.map((t) => [t.Target?.Id, t.Target?.Port, t.HealthCheckPort, t.TargetHealth?.State, t.TargetHealth?.Reason]),
      [
        // The listener forwards to this group, so the health checker is checking them already.
        ["10.9.0.1", 9001, "9001", "initial", "Elb.InitialHealthChecking"],
        ["10.9.0.2", 8080, "8080", "initial", "Elb.InitialHealthChecking"],
      ],
    );
    const explicit = await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: "10.9.0.9", Port: 1 }] }));
    assert.deepEqual(explicit.TargetHealthDescriptions?.[0]?.TargetHealth, {
      State: "unused",
      Reason: "Target.NotRegistered",
      Description: "Target is not registered to the target group",
    });
    // not in use
    const lonely = await client.send(new elb.CreateTargetGroupCommand({ Name: "lonely", TargetType: "ip", Port: 80 }));
    const lonelyArn = lonely.TargetGroups![0]!.TargetGroupArn!;
    await client.send(new elb.RegisterTargetsCommand({ TargetGroupArn: lonelyArn, Targets: [{ Id: "10.1.1.1" }] }));
    const nu = await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: lonelyArn }));
    assert.equal(nu.TargetHealthDescriptions?.[0]?.TargetHealth?.Reason, "Target.NotInUse");

    // deregistration delay is 30 s on this group
    await client.send(new elb.DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: "10.9.0.2" }] }));
    const dr = await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: "10.9.0.2" }] }));
    assert.deepEqual(dr.TargetHealthDescriptions?.[0]?.TargetHealth, {
      State: "draining",
      Reason: "Target.DeregistrationInProgress",
      Description: "Target deregistration is in progress",
    });
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    assert.deepEqual(
      s.routing.current().targetGroups.get(tgArn)?.targets.map((t) => [t.id, t.port, t.draining, t.address]),
      [
        ["10.9.0.1", 9001, false, "10.9.0.1"],
        ["10.9.0.2", 8080, true, "10.9.0.2"],
      ],
    );
    clock.advance(30_000);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(s.routing.current().targetGroups.get(tgArn)?.targets.map((t) => t.id), ["10.9.0.1"], "the 1 s timer dropped the drained target");
    const gone = await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
    assert.deepEqual(gone.TargetHealthDescriptions?.map((t) => t.Target?.Id), ["10.9.0.1"]);
    const unused = await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: "10.9.0.2" }] }));
    assert.equal(unused.TargetHealthDescriptions?.[0]?.TargetHealth?.State, "unused");
    await elb.waitUntilTargetDeregistered({ client, maxWaitTime: 5, minDelay: 1 }, { TargetGroupArn: tgArn, Targets: [{ Id: "10.9.0.2" }] });
    await expectError(client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn.replace(/[0-9a-f]{16}$/, "0".repeat(16)) })), "TargetGroupNotFoundException");
    await client.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: lonelyArn }));
  });

  test("scheduler API: registerTargets/deregisterTargets/targetGroup/isUsedByListener", async () => {
    const info = s.elbv2.targetGroup(tgArn)!;
    assert.equal(info.targetType, "ip");
    assert.equal(info.port, 8080);
    assert.equal(info.deregistrationDelaySeconds, 30);
    assert.equal(info.healthCheck.path, "/");
    assert.deepEqual(info.loadBalancerArns, [lbArn]);
    assert.equal(s.elbv2.targetGroup(SCOPE, "web-tg")?.arn, tgArn);
    assert.equal(s.elbv2.targetGroup(SCOPE, "missing"), undefined);
    assert.equal(s.elbv2.isUsedByListener(tgArn), true);
    s.elbv2.registerTargets(SCOPE, tgArn, [{ id: "172.17.0.5", port: 80 }]);
    assert.equal(s.elbv2.targetHealth(tgArn, "172.17.0.5", 80)?.State, "initial");
    const until = s.elbv2.deregisterTargets(SCOPE, tgArn, [{ id: "172.17.0.5", port: 80 }]);
    assert.equal(until, clock.now() + 30_000);
    assert.equal(s.elbv2.targetHealth(tgArn, "172.17.0.5", 80)?.State, "draining");
  });

  test("tags on every kind, not-found codes", async () => {
    await client.send(new elb.AddTagsCommand({ ResourceArns: [lbArn, tgArn, listenerArn, ruleArn], Tags: [{ Key: "team", Value: "a" }] }));
    await client.send(new elb.RemoveTagsCommand({ ResourceArns: [lbArn], TagKeys: ["env"] }));
    const t = await client.send(new elb.DescribeTagsCommand({ ResourceArns: [lbArn, tgArn, listenerArn, ruleArn] }));
    assert.deepEqual(t.TagDescriptions?.map((d) => d.Tags), [[{ Key: "team", Value: "a" }], [{ Key: "team", Value: "a" }], [{ Key: "team", Value: "a" }], [{ Key: "r", Value: "1" }, { Key: "team", Value: "a" }]]);
    await expectError(client.send(new elb.DescribeTagsCommand({ ResourceArns: [tgArn.replace(/[0-9a-f]{16}$/, "0".repeat(16))] })), "TargetGroupNotFoundException");
    await expectError(client.send(new elb.AddTagsCommand({ ResourceArns: [lbArn], Tags: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] })), "DuplicateTagKeysException");
    const limits = await client.send(new elb.DescribeAccountLimitsCommand({}));
    assert.ok(limits.Limits?.some((l) => l.Name === "application-load-balancers" && l.Max === "50"));
  });

  test("ResourceInUse, then deleting the load balancer removes listeners and rules", async () => {
    await expectError(client.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: tgArn })), "ResourceInUseException");
    await client.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
    await expectError(client.send(new elb.DescribeListenersCommand({ ListenerArns: [listenerArn] })), "ListenerNotFoundException");
    await expectError(client.send(new elb.DescribeRulesCommand({ RuleArns: [ruleArn] })), "RuleNotFoundException");
    await expectError(client.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })), "LoadBalancerNotFoundException");
    assert.equal(s.elbv2.isUsedByListener(tgArn), false);
    await client.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: tgArn }));
    await client.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: tg2Arn }));
    await expectError(client.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn] })), "TargetGroupNotFoundException");
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    assert.equal(s.routing.current().listeners.size, 0);
  });

  test("AWS CLI over the socket: create-load-balancer, describe-target-health", async (t) => {
    const probe = spawnSync("aws", ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
      t.skip("aws CLI not installed: skipping the AWS CLI socket test");
      return;
    }
    const env = { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: "us-east-1", AWS_PAGER: "" };
    // Asynchronous: the server runs in this process, so a blocking spawn would deadlock it.
    const aws = async (...args: string[]) => {
      try {
        const r = await promisify(execFile)("aws", ["--endpoint-url", s.url, "--output", "json", "elbv2", ...args], { encoding: "utf8", env });
        return { status: 0, out: r.stdout ? (JSON.parse(r.stdout) as unknown) : null, err: r.stderr };
      } catch (err) {
        const e = err as { code?: number; stderr?: string };
        return { status: e.code ?? 1, out: null, err: e.stderr ?? String(err) };
      }
    };
    const lb = await aws("create-load-balancer", "--name", "cli-lb", "--subnets", "subnet-1", "subnet-2");
    assert.equal(lb.status, 0, lb.err);
    const lbOut = lb.out as { LoadBalancers: { LoadBalancerArn: string; DNSName: string; State: { Code: string } }[] };
    assert.match(lbOut.LoadBalancers[0]!.DNSName, /^cli-lb-[0-9a-f]{8}\.us-east-1\.elb\.localhost$/);
    assert.equal(lbOut.LoadBalancers[0]!.State.Code, "active");
    const tg = await aws("create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "80", "--target-type", "ip", "--vpc-id", "vpc-1");
    assert.equal(tg.status, 0, tg.err);
    const tgArnCli = (tg.out as { TargetGroups: { TargetGroupArn: string }[] }).TargetGroups[0]!.TargetGroupArn;
    assert.equal((await aws("register-targets", "--target-group-arn", tgArnCli, "--targets", "Id=10.0.0.5,Port=8080")).status, 0);
    const th = await aws("describe-target-health", "--target-group-arn", tgArnCli);
    assert.equal(th.status, 0, th.err);
    assert.deepEqual(th.out, {
      TargetHealthDescriptions: [
        {
          Target: { Id: "10.0.0.5", Port: 8080, AvailabilityZone: "us-east-1a" },
          HealthCheckPort: "8080",
          TargetHealth: { State: "unused", Reason: "Target.NotInUse", Description: "Target group is not configured to receive traffic from the load balancer" },
        },
      ],
    });
    const missing = await aws("describe-load-balancers", "--names", "nope");
    assert.notEqual(missing.status, 0);
    assert.match(missing.err, /LoadBalancerNotFound/);
  });
});

