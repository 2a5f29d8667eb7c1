/**
 * ACM through the real ACMClient (and the AWS CLI once) against startSlipway on FakeRuntime:
 * requested certificates (validation records, PENDING_VALIDATION then ISSUED, issued by the data
 * directory's local CA), imported ones (and every way an import is refused), listing, tags,
 * deletion refused while a load balancer uses the certificate, HTTPS listener validation in ELBv2,
 * and private keys sealed at rest.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as acm from "@aws-sdk/client-acm";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { awsCli, awsCliSkip } from "../helpers/aws-cli.ts";
import { selfSigned } from "../helpers/certs.ts";
import { expectError } from "../helpers/errors.ts";

const REGION = "us-east-1";
let s: Slipway;
let client: acm.ACMClient;
let lbClient: elb.ElasticLoadBalancingV2Client;
let dir: string;
let clock: ManualClock;

before(async () => {
  // Near real time: imported test certificates are made valid from "now".
  clock = new ManualClock(Date.now());
  dir = mkdtempSync(join(tmpdir(), "slipway-acm-api-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, ids: seededIds("acm"), log: () => {} });
  const config = { region: REGION, endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
  client = new acm.ACMClient(config);
  lbClient = new elb.ElasticLoadBalancingV2Client(config);
});

after(async () => {
  client.destroy();
  lbClient.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const enc = (t: string) => new TextEncoder().encode(t);

describe("ACM through ACMClient", () => {
  let requested = "";
  let imported = "";

  test("RequestCertificate (DNS): validation records while PENDING_VALIDATION, then ISSUED by the local CA", async () => {
    const r = await client.send(
      new acm.RequestCertificateCommand({
        DomainName: "app.example.test",
        SubjectAlternativeNames: ["*.app.example.test"],
        ValidationMethod: "DNS",
        IdempotencyToken: "tf123",
        Tags: [{ Key: "env", Value: "dev" }],
      }),
    );
    requested = r.CertificateArn!;
    assert.match(requested, /^arn:aws:acm:us-east-1:000000000000:certificate\/[0-9a-f-]{36}$/);
    const again = await client.send(new acm.RequestCertificateCommand({ DomainName: "app.example.test", ValidationMethod: "DNS", IdempotencyToken: "tf123" }));
    assert.equal(again.CertificateArn, requested, "same idempotency token, same certificate");

    const pending = (await client.send(new acm.DescribeCertificateCommand({ CertificateArn: requested }))).Certificate!;
    assert.equal(pending.Status, "PENDING_VALIDATION");
    assert.equal(pending.Type, "AMAZON_ISSUED");
    assert.deepEqual(pending.SubjectAlternativeNames, ["app.example.test", "*.app.example.test"]);
    assert.equal(pending.DomainValidationOptions?.length, 2);
    const [apex, wild] = pending.DomainValidationOptions!;
    assert.equal(apex!.ValidationStatus, "PENDING_VALIDATION");
    assert.equal(apex!.ValidationMethod, "DNS");
    assert.equal(apex!.ResourceRecord?.Type, "CNAME");
    assert.match(apex!.ResourceRecord!.Name!, /^_[0-9a-f]{32}\.app\.example\.test\.$/);
    assert.match(apex!.ResourceRecord!.Value!, /^_[0-9a-f]{32}\.[0-9a-f]{10}\.acm-validations\.aws\.$/);
    assert.deepEqual(wild!.ResourceRecord, apex!.ResourceRecord, "a wildcard shares its base domain's record");
    assert.equal(pending.IssuedAt, undefined);
    await expectError(client.send(new acm.GetCertificateCommand({ CertificateArn: requested })), "RequestInProgressException", `Certificate ${requested} is still in process`);

    clock.advance(2000);
    const issued = (await client.send(new acm.DescribeCertificateCommand({ CertificateArn: requested }))).Certificate!;
    assert.equal(issued.Status, "ISSUED");
    assert.ok(issued.IssuedAt instanceof Date);
    assert.deepEqual(issued.DomainValidationOptions?.map((v) => v.ValidationStatus), ["SUCCESS", "SUCCESS"]);
    assert.equal(issued.KeyAlgorithm, "RSA-2048");
    assert.equal(issued.SignatureAlgorithm, "SHA256WITHECDSA");
    assert.equal(issued.Subject, "CN=app.example.test");
    assert.equal(issued.Issuer, "Slipway");
    assert.deepEqual(issued.InUseBy, []);
    assert.deepEqual(issued.Options, { CertificateTransparencyLoggingPreference: "ENABLED", Export: "DISABLED" });
    const days = (issued.NotAfter!.getTime() - issued.NotBefore!.getTime()) / 86_400_000;
    assert.ok(days > 394 && days < 396, `395 days (${days})`);

    const got = await client.send(new acm.GetCertificateCommand({ CertificateArn: requested }));
    const leaf = new X509Certificate(got.Certificate!);
    const root = new X509Certificate(await (await fetch(`${s.url}/_slipway/ca.pem`)).text());
    assert.ok(root.ca);
    assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey), "signed by the exported root");
    assert.equal(leaf.checkHost("x.app.example.test"), "*.app.example.test");
    assert.equal(got.CertificateChain, root.toString().replace(/\n?$/, "\n"));
    assert.deepEqual((await client.send(new acm.ListTagsForCertificateCommand({ CertificateArn: requested }))).Tags, [{ Key: "env", Value: "dev" }]);
  });

  test("RequestCertificate refuses bad names, private CAs, too many names, HTTP validation", async () => {
    await expectError(client.send(new acm.RequestCertificateCommand({ DomainName: "no_dots", ValidationMethod: "DNS" })), "ValidationException", /at 'domainName' failed to satisfy constraint/);
    await expectError(
      client.send(new acm.RequestCertificateCommand({ DomainName: "a.example.test", CertificateAuthorityArn: "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/x" })),
      "ValidationException",
      /Private certificate authorities/,
    );
    await expectError(
      client.send(new acm.RequestCertificateCommand({ DomainName: "a.example.test", SubjectAlternativeNames: Array.from({ length: 10 }, (_, i) => `s${i}.example.test`), ValidationMethod: "DNS" })),
      "LimitExceededException",
    );
    await expectError(client.send(new acm.RequestCertificateCommand({ DomainName: "a.example.test", ValidationMethod: "HTTP" })), "ValidationException", /Validation method HTTP/);
  });

  test("ImportCertificate: a valid certificate and key; refused when expired, not yet valid, mismatched, doubled or garbage", async () => {
    const good = await selfSigned(["imported.example.test", "www.imported.example.test"]);
    const r = await client.send(new acm.ImportCertificateCommand({ Certificate: enc(good.certificatePem), PrivateKey: enc(good.privateKeyPem), Tags: [{ Key: "k", Value: "v" }] }));
    imported = r.CertificateArn!;
    const d = (await client.send(new acm.DescribeCertificateCommand({ CertificateArn: imported }))).Certificate!;
    assert.equal(d.Type, "IMPORTED");
    assert.equal(d.Status, "ISSUED");
    assert.equal(d.DomainName, "imported.example.test");
    assert.deepEqual(d.SubjectAlternativeNames, ["imported.example.test", "www.imported.example.test"]);
    assert.equal(d.KeyAlgorithm, "EC-prime256v1");
    assert.equal(d.Serial, "01:02:03:04:05");
    assert.ok(d.ImportedAt instanceof Date);
    assert.equal(d.DomainValidationOptions, undefined);

    const other = await selfSigned(["other.example.test"]);
    const expired = await selfSigned(["old.example.test"], { fromMs: Date.now() - 40 * 86_400_000, days: 30 });
    const future = await selfSigned(["later.example.test"], { fromMs: Date.now() + 10 * 86_400_000 });
    const bad: [string, acm.ImportCertificateCommandInput, string][] = [
      ["expired", { Certificate: enc(expired.certificatePem), PrivateKey: enc(expired.privateKeyPem) }, "The certificate has expired, is not valid."],
      ["not yet valid", { Certificate: enc(future.certificatePem), PrivateKey: enc(future.privateKeyPem) }, "The certificate is not in effect yet, is not valid."],
      ["key of another certificate", { Certificate: enc(good.certificatePem), PrivateKey: enc(other.privateKeyPem) }, "The private key does not match the public key in the certificate."],
      [
        "two certificates",
        { Certificate: enc(good.certificatePem + other.certificatePem), PrivateKey: enc(good.privateKeyPem) },
        "The certificate field contains more than one certificate. You can specify only one certificate in this field.",
      ],
      ["garbage certificate", { Certificate: enc("not a certificate"), PrivateKey: enc(good.privateKeyPem) }, "The certificate is not PEM-encoded or is not valid."],
      ["garbage key", { Certificate: enc(good.certificatePem), PrivateKey: enc("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }, "The private key is not PEM-encoded or is not valid."],
      ["garbage chain", { Certificate: enc(good.certificatePem), PrivateKey: enc(good.privateKeyPem), CertificateChain: enc("nope") }, "The certificate chain is not PEM-encoded or is not valid."],
      ["expired chain", { Certificate: enc(good.certificatePem), PrivateKey: enc(good.privateKeyPem), CertificateChain: enc(expired.certificatePem) }, "The certificate chain has expired, is not valid."],
    ];
    for (const [what, input, message] of bad) await expectError(client.send(new acm.ImportCertificateCommand(input)), "ValidationException", message).catch((e) => assert.fail(`${what}: ${e}`));

    // Re-import to the same ARN replaces the certificate.
    const renewed = await selfSigned(["imported.example.test"]);
    const re = await client.send(new acm.ImportCertificateCommand({ CertificateArn: imported, Certificate: enc(renewed.certificatePem), PrivateKey: enc(renewed.privateKeyPem) }));
    assert.equal(re.CertificateArn, imported);
    assert.deepEqual((await client.send(new acm.DescribeCertificateCommand({ CertificateArn: imported }))).Certificate!.SubjectAlternativeNames, ["imported.example.test"]);
    await expectError(
      client.send(new acm.ImportCertificateCommand({ CertificateArn: requested, Certificate: enc(renewed.certificatePem), PrivateKey: enc(renewed.privateKeyPem) })),
      "ValidationException",
      /only imported certificates can be reimported/,
    );
  });

  test("ListCertificates: statuses, key types (RSA by default), paging; not-found and bad ARNs", async () => {
    const all = await client.send(new acm.ListCertificatesCommand({}));
    assert.deepEqual(all.CertificateSummaryList?.map((c) => c.CertificateArn), [requested], "default key types are RSA_1024 and RSA_2048");
    const ec = await client.send(new acm.ListCertificatesCommand({ Includes: { keyTypes: ["EC_prime256v1", "RSA_2048"] } }));
    assert.deepEqual(ec.CertificateSummaryList?.map((c) => c.CertificateArn), [requested, imported]);
    assert.equal(ec.CertificateSummaryList![1]!.Type, "IMPORTED");
    assert.equal(ec.CertificateSummaryList![1]!.InUse, false);
    const paged = await client.send(new acm.ListCertificatesCommand({ Includes: { keyTypes: ["EC_prime256v1", "RSA_2048"] }, MaxItems: 1 }));
    assert.equal(paged.CertificateSummaryList?.length, 1);
    const next = await client.send(new acm.ListCertificatesCommand({ Includes: { keyTypes: ["EC_prime256v1", "RSA_2048"] }, MaxItems: 1, NextToken: paged.NextToken }));
    assert.deepEqual(next.CertificateSummaryList?.map((c) => c.CertificateArn), [imported]);
    assert.equal(next.NextToken, undefined);
    assert.equal((await client.send(new acm.ListCertificatesCommand({ CertificateStatuses: ["PENDING_VALIDATION"] }))).CertificateSummaryList?.length, 0);

    const missing = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000";
    await expectError(client.send(new acm.DescribeCertificateCommand({ CertificateArn: missing })), "ResourceNotFoundException", `Certificate with arn ${missing} not found in account 000000000000`);
    await expectError(client.send(new acm.DeleteCertificateCommand({ CertificateArn: "arn:aws:iam::000000000000:server-certificate/x" })), "InvalidArnException");
  });

  test("tags: add, remove (by key, or by key and value), limits", async () => {
    await client.send(new acm.AddTagsToCertificateCommand({ CertificateArn: imported, Tags: [{ Key: "a", Value: "1" }, { Key: "b" }] }));
    await client.send(new acm.RemoveTagsFromCertificateCommand({ CertificateArn: imported, Tags: [{ Key: "a", Value: "other" }, { Key: "k" }] }));
    assert.deepEqual((await client.send(new acm.ListTagsForCertificateCommand({ CertificateArn: imported }))).Tags, [
      { Key: "a", Value: "1" },
      { Key: "b", Value: "" },
    ]);
    await expectError(client.send(new acm.AddTagsToCertificateCommand({ CertificateArn: imported, Tags: [{ Key: "aws:x", Value: "1" }] })), "InvalidTagException");
    await expectError(
      client.send(new acm.AddTagsToCertificateCommand({ CertificateArn: imported, Tags: Array.from({ length: 49 }, (_, i) => ({ Key: `t${i}`, Value: "v" })) })),
      "TooManyTagsException",
    );
  });

  test("HTTPS listeners: certificate and policy checks; DeleteCertificate refused while in use; listener certificates", async () => {
    const lb = (await lbClient.send(new elb.CreateLoadBalancerCommand({ Name: "tls", Subnets: ["subnet-1", "subnet-2"] }))).LoadBalancers![0]!;
    const fixed = [{ Type: "fixed-response" as const, FixedResponseConfig: { StatusCode: "200", MessageBody: "tls" } }];
    const base = { LoadBalancerArn: lb.LoadBalancerArn, Protocol: "HTTPS" as const, Port: 8443, DefaultActions: fixed };
    await expectError(lbClient.send(new elb.CreateListenerCommand(base)), "ValidationError", "A certificate must be specified for HTTPS listeners");
    const missing = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000";
    await expectError(lbClient.send(new elb.CreateListenerCommand({ ...base, Certificates: [{ CertificateArn: missing }] })), "CertificateNotFoundException", `Certificate '${missing}' not found`);
    await expectError(lbClient.send(new elb.CreateListenerCommand({ ...base, Certificates: [{ CertificateArn: requested }], SslPolicy: "NoSuchPolicy" })), "SSLPolicyNotFoundException", "One or more SSL policies not found");
    const pending = (await client.send(new acm.RequestCertificateCommand({ DomainName: "pending.example.test", ValidationMethod: "DNS" }))).CertificateArn!;
    await expectError(
      lbClient.send(new elb.CreateListenerCommand({ ...base, Certificates: [{ CertificateArn: pending }] })),
      "InvalidConfigurationRequestException",
      `Certificate '${pending}' cannot be used: its status is PENDING_VALIDATION`,
    );
    await expectError(
      lbClient.send(new elb.CreateListenerCommand({ ...base, Protocol: "HTTP", Certificates: [{ CertificateArn: requested }] })),
      "ValidationError",
      "Certificates can be specified only for HTTPS listeners",
    );

    await expectError(
      lbClient.send(new elb.CreateListenerCommand({ ...base, Certificates: [{ CertificateArn: requested }], MutualAuthentication: { Mode: "verify" } })),
      "ValidationError",
      "Mutual TLS authentication (mode 'verify') is not supported by Slipway",
    );
    const l = (await lbClient.send(new elb.CreateListenerCommand({ ...base, Certificates: [{ CertificateArn: requested }], SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }))).Listeners![0]!;
    assert.deepEqual(l.Certificates, [{ CertificateArn: requested }]);
    assert.equal(l.SslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    const added = await lbClient.send(new elb.AddListenerCertificatesCommand({ ListenerArn: l.ListenerArn, Certificates: [{ CertificateArn: imported }] }));
    assert.deepEqual(added.Certificates, [{ CertificateArn: imported, IsDefault: false }]);
    const listed = await lbClient.send(new elb.DescribeListenerCertificatesCommand({ ListenerArn: l.ListenerArn }));
    assert.deepEqual(listed.Certificates, [
      { CertificateArn: requested, IsDefault: true },
      { CertificateArn: imported, IsDefault: false },
    ]);
    await expectError(lbClient.send(new elb.RemoveListenerCertificatesCommand({ ListenerArn: l.ListenerArn, Certificates: [{ CertificateArn: requested }] })), "OperationNotPermittedException");

    for (const arn of [requested, imported]) {
      await expectError(client.send(new acm.DeleteCertificateCommand({ CertificateArn: arn })), "ResourceInUseException", `Certificate ${arn} in use by ${lb.LoadBalancerArn}`);
      assert.deepEqual((await client.send(new acm.DescribeCertificateCommand({ CertificateArn: arn }))).Certificate!.InUseBy, [lb.LoadBalancerArn]);
    }
    // The routing table gives the listener both certificates (default first) and the policy.
    s.routing.rebuild();
    const tls = s.routing.current().listeners.get(l.ListenerArn!)!.tls!;
    assert.deepEqual(tls.certificates.map((c) => c.arn), [requested, imported]);
    assert.equal(tls.policy.name, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.deepEqual(tls.policy.protocols, ["TLSv1.3", "TLSv1.2"]);

    await lbClient.send(new elb.RemoveListenerCertificatesCommand({ ListenerArn: l.ListenerArn, Certificates: [{ CertificateArn: imported }] }));
    await client.send(new acm.DeleteCertificateCommand({ CertificateArn: imported }));
    await expectError(client.send(new acm.DescribeCertificateCommand({ CertificateArn: imported })), "ResourceNotFoundException");
    await lbClient.send(new elb.DeleteListenerCommand({ ListenerArn: l.ListenerArn }));
    await client.send(new acm.DeleteCertificateCommand({ CertificateArn: requested }));
    await client.send(new acm.DeleteCertificateCommand({ CertificateArn: pending }));
  });

  test("DescribeSSLPolicies lists AWS's named policies with protocols and ciphers", async () => {
    const all = await lbClient.send(new elb.DescribeSSLPoliciesCommand({}));
    const names = all.SslPolicies!.map((p) => p.Name);
    assert.ok(names.includes("ELBSecurityPolicy-2016-08") && names.includes("ELBSecurityPolicy-TLS13-1-2-2021-06"));
    const one = await lbClient.send(new elb.DescribeSSLPoliciesCommand({ Names: ["ELBSecurityPolicy-TLS13-1-3-2021-06"] }));
    assert.deepEqual(one.SslPolicies![0]!.SslProtocols, ["TLSv1.3"]);
    assert.deepEqual(one.SslPolicies![0]!.Ciphers![0], { Name: "TLS_AES_128_GCM_SHA256", Priority: 1 });
    await expectError(lbClient.send(new elb.DescribeSSLPoliciesCommand({ Names: ["Nope"] })), "SSLPolicyNotFoundException");
  });

  test("private keys are sealed at rest: nothing in the database or data directory holds one in clear", () => {
    const key = join(dir, "acm.key");
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "acm")).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, "acm", "ca-key.sealed")).mode & 0o777, 0o600);
    for (const f of readdirSync(dir)) {
      if (!f.startsWith("slipway.db")) continue;
      assert.ok(!readFileSync(join(dir, f)).toString("latin1").includes("PRIVATE KEY"), `${f} holds no clear private key`);
    }
    assert.ok(!readFileSync(join(dir, "acm", "ca-key.sealed")).toString("latin1").includes("PRIVATE KEY"));
  });

  test("AWS CLI: import-certificate with fileb://, describe-certificate, an in-use style error, delete-certificate", { skip: awsCliSkip("the ACM CLI test") }, async () => {
    const c = await selfSigned(["cli.example.test"]);
    writeFileSync(join(dir, "cli-cert.pem"), c.certificatePem);
    writeFileSync(join(dir, "cli-key.pem"), c.privateKeyPem);
    const out = await awsCli(s.url, "acm", "import-certificate", "--certificate", `fileb://${join(dir, "cli-cert.pem")}`, "--private-key", `fileb://${join(dir, "cli-key.pem")}`);
    assert.equal(out.code, 0, out.stderr);
    const arn = JSON.parse(out.stdout).CertificateArn as string;
    const d = JSON.parse((await awsCli(s.url, "acm", "describe-certificate", "--certificate-arn", arn)).stdout);
    assert.equal(d.Certificate.DomainName, "cli.example.test");
    assert.equal(d.Certificate.Status, "ISSUED");
    const expired = await selfSigned(["old.example.test"], { fromMs: Date.now() - 40 * 86_400_000, days: 30 });
    writeFileSync(join(dir, "old-cert.pem"), expired.certificatePem);
    writeFileSync(join(dir, "old-key.pem"), expired.privateKeyPem);
    const refused = await awsCli(s.url, "acm", "import-certificate", "--certificate", `fileb://${join(dir, "old-cert.pem")}`, "--private-key", `fileb://${join(dir, "old-key.pem")}`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /An error occurred \(ValidationException\) when calling the ImportCertificate operation: The certificate has expired, is not valid\./);
    assert.equal((await awsCli(s.url, "acm", "delete-certificate", "--certificate-arn", arn)).code, 0);
  });
});
