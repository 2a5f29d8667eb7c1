import assert from "node:assert/strict";
import { test } from "node:test";
import { classify, goFormat, SecretResolver } from "./secrets.ts";
import { SecretSourceError, type SecretSources } from "./secret-sources.ts";

const scope = { accountId: "123456789012", region: "us-east-1" };
const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";

function fakeSources(secrets: Record<string, string>, params: Record<string, string>, calls: string[] = []): SecretSources {
  return {
    secretValue: (_s, id, select) => {
      calls.push(`asm ${id} ${JSON.stringify(select)}`);
      const v = secrets[`${id}|${select.versionStage ?? ""}|${select.versionId ?? ""}`] ?? secrets[id];
      if (v === undefined) throw new SecretSourceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
      if (v === "!disabled") throw new SecretSourceError("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
      return v;
    },
    parameters: (s, names) => {
      calls.push(`ssm ${s.region} ${names.join(",")}`);
      const values = new Map<string, string>();
      const invalid: string[] = [];
      for (const n of names) {
        const v = params[n];
        if (v === undefined) invalid.push(n);
        else values.set(n, v);
      }
      return { values, invalid };
    },
  };
}

const resolver = (sources: SecretSources) => new SecretResolver(sources, () => "req-1");

test("valueFrom grammar: Secrets Manager ARNs with selectors, SSM names and ARNs", () => {
  assert.deepEqual(classify(ARN, scope), {
    kind: "asm",
    ref: { valueFrom: ARN, secretId: ARN, scope, jsonKey: "", versionStage: "", versionId: "" },
  });
  const full = `${ARN}:password:AWSPREVIOUS:`;
  assert.deepEqual(classify(full, scope), {
    kind: "asm",
    ref: { valueFrom: full, secretId: ARN, scope, jsonKey: "password", versionStage: "AWSPREVIOUS", versionId: "" },
  });
  assert.deepEqual(classify(`${ARN}:password`, scope), { kind: "bad-arn", valueFrom: `${ARN}:password` });
  assert.deepEqual(classify("/app/db/password", scope), { kind: "ssm", ref: { valueFrom: "/app/db/password", scope, name: "/app/db/password" } });
  assert.deepEqual(classify("arn:aws:ssm:eu-west-1:123456789012:parameter/app/key", scope), {
    kind: "ssm",
    ref: { valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/key", scope: { accountId: "123456789012", region: "eu-west-1" }, name: "/app/key" },
  });
  assert.equal((classify("arn:aws:ssm:us-east-1:123456789012:parameter/flat", scope) as { ref: { name: string } }).ref.name, "flat");
});

test("Go's %v of JSON values, as the agent injects non-string fields", () => {
  assert.equal(goFormat(5432), "5432");
  assert.equal(goFormat(true), "true");
  assert.equal(goFormat(1e21), "1e+21");
  assert.equal(goFormat(0.00001), "1e-05");
  assert.equal(goFormat(1.5), "1.5");
  assert.equal(goFormat(null), "<nil>");
  assert.equal(goFormat({ b: 1, a: "x" }), "map[a:x b:1]");
  assert.equal(goFormat([1, "two"]), "[1 two]");
});

test("resolves env, log options and registry credentials; SSM batched per region, ten names a call", () => {
  const calls: string[] = [];
  const params: Record<string, string> = { "/p/url": "http://db" };
  for (let i = 0; i < 12; i++) params[`/p/${i}`] = `v${i}`;
  const sources = fakeSources(
    {
      [ARN]: JSON.stringify({ password: "pw", port: 5432 }),
      [`${ARN}||0123456789abcdef0123456789abcdef`]: JSON.stringify({ password: "old" }),
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:reg": JSON.stringify({ username: "u", password: "p" }),
    },
    params,
    calls,
  );
  const r = resolver(sources).resolve(
    [
      {
        name: "web",
        secrets: [
          { name: "DB_PASSWORD", valueFrom: `${ARN}:password::` },
          { name: "DB_PORT", valueFrom: `${ARN}:port::` },
          { name: "DB_OLD", valueFrom: `${ARN}:password::0123456789abcdef0123456789abcdef` },
          { name: "WHOLE", valueFrom: ARN },
          { name: "URL", valueFrom: "/p/url" },
          ...Array.from({ length: 12 }, (_, i) => ({ name: `P${i}`, valueFrom: `/p/${i}` })),
        ],
        logConfiguration: { logDriver: "splunk", secretOptions: [{ name: "splunk-token", valueFrom: "/p/url" }] },
        repositoryCredentials: { credentialsParameter: "arn:aws:secretsmanager:us-east-1:123456789012:secret:reg" },
      },
    ],
    scope,
    "FARGATE",
  );
  assert.ok(!("error" in r));
  const env = r.env.get("web")!;
  assert.equal(env.get("DB_PASSWORD"), "pw");
  assert.equal(env.get("DB_PORT"), "5432");
  assert.equal(env.get("DB_OLD"), "old");
  assert.equal(env.get("WHOLE"), JSON.stringify({ password: "pw", port: 5432 }));
  assert.equal(env.get("URL"), "http://db");
  assert.equal(env.get("P11"), "v11");
  assert.deepEqual(r.logOptions.get("web"), { "splunk-token": "http://db" });
  assert.deepEqual(r.registry.get("web"), { username: "u", password: "p" });
  assert.equal(calls.filter((c) => c.startsWith("ssm")).length, 2, "13 distinct names: two GetParameters calls");
  assert.deepEqual(resolver(fakeSources({}, {}, calls)).resolve([{ name: "plain" }], scope, "FARGATE"), { env: new Map(), logOptions: new Map(), registry: new Map() });
});

test("failures stop the task with ECS's texts (Fargate and EC2 launch types), naming ARNs, names and keys (a JSON parse error quotes the first character, as the agent does)", () => {
  const sources = fakeSources({ [ARN]: JSON.stringify({ user: "u" }), "arn:aws:secretsmanager:us-east-1:123456789012:secret:txt-AAAAAA": "s3cr3t-not-json", "arn:aws:secretsmanager:us-east-1:123456789012:secret:off-AAAAAA": "!disabled" }, {});
  const one = (valueFrom: string, launch: "FARGATE" | "EC2" = "FARGATE") => {
    const r = resolver(sources).resolve([{ name: "c", secrets: [{ name: "X", valueFrom }] }], scope, launch);
    assert.ok("error" in r);
    return r.error;
  };
  const prefix = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ";
  const missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-ZZZZZZ";
  assert.equal(
    one(missing),
    `${prefix}unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
  );
  assert.equal(
    one(missing, "EC2"),
    `ResourceNotFoundException: The task can't retrieve the secret with ARN '${missing}' from AWS Secrets Manager. Check whether the secret exists in the specified Region: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: req-1, ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
  );
  assert.equal(one(`${ARN}:password::`), `${prefix}unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key password`);
  assert.equal(one(`${ARN}:password::`, "EC2"), "Retrieved secret from Secrets Manager did not contain json key password");
  assert.equal(
    one("/api//new-relic-license-key"),
    `${prefix}unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: /api//new-relic-license-key`,
  );
  assert.equal(one("/missing", "EC2"), "Fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: /missing");
  assert.equal(
    one("arn:aws:secretsmanager:us-east-1:123456789012:secret:off-AAAAAA"),
    `${prefix}unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:off-AAAAAA from secrets manager: DecryptionFailure: Secrets Manager can't decrypt the protected secret text using the provided KMS key.`,
  );
  assert.equal(
    one("arn:aws:secretsmanager:us-east-1:123456789012:secret:txt-AAAAAA:key::"),
    `${prefix}unable to retrieve secret from asm: service call has been retried 1 time(s): invalid character 's' looking for beginning of value`,
  );
  assert.equal(
    one(`${ARN}:password`),
    `${prefix}unable to retrieve secret from asm: service call has been retried 1 time(s): an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.`,
  );
  assert.equal(
    one(`${ARN}:password`, "EC2"),
    `Trying to retrieve secret with value ${ARN}:password resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.`,
  );
  const badAuth = resolver(fakeSources({ [ARN]: JSON.stringify({ username: "u" }) }, {})).resolve(
    [{ name: "c", repositoryCredentials: { credentialsParameter: ARN } }],
    scope,
    "FARGATE",
  );
  assert.deepEqual(badAuth, {
    error: `${prefix}unable to get registry auth from asm: service call has been retried 1 time(s): asm fetching password: AuthorizationData is malformed, empty field`,
  });
});
