/**
 * Task secrets, resolved at task start the way the ECS agent does, with the task's execution role:
 *
 * - `containerDefinitions[].secrets` → environment variables, overriding `environment`;
 * - `logConfiguration.secretOptions` → log driver options;
 * - `repositoryCredentials.credentialsParameter` → registry credentials for the image pull.
 *
 * `valueFrom` is a Secrets Manager secret ARN, optionally `…:json-key:version-stage:version-id`
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html),
 * or an SSM parameter name or ARN (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html).
 * A secret that cannot be read stops the task before any container is created, with the stopped
 * reason ECS gives (https://repost.aws/knowledge-center/ecs-unable-to-pull-secrets): Fargate's
 * "ResourceInitializationError: unable to pull secrets or registry auth: …", and on the EC2 launch
 * type the agent's own texts. Values go only into the containers; error texts name ARNs, parameter
 * names and JSON keys, never a value.
 */
import type { ContainerDefinition, Secret } from "@aws-sdk/client-ecs";
import { parseArn, type Scope } from "../../core/arn.ts";
import { SecretSourceError, type SecretSources } from "./secret-sources.ts";

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface ResolvedSecrets {
  /** Container name → variables from `secrets` (applied over `environment`). */
  readonly env: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Container name → log driver options from `secretOptions`. */
  readonly logOptions: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Container name → credentials for pulling its image. */
  readonly registry: ReadonlyMap<string, RegistryCredentials>;
}

export type LaunchKind = "FARGATE" | "EC2";

const FARGATE_PREFIX = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ";
const INVALID_ARN = "an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.";
const SSM_BATCH = 10;

/** A Secrets Manager reference: the secret to fetch and the optional selectors after it. */
interface AsmRef {
  readonly valueFrom: string;
  readonly secretId: string;
  readonly scope: Scope;
  readonly jsonKey: string;
  readonly versionStage: string;
  readonly versionId: string;
}

/** An SSM reference: the region it lives in and the name to ask GetParameters for. */
interface SsmRef {
  readonly valueFrom: string;
  readonly scope: Scope;
  readonly name: string;
}

type Ref = { kind: "asm"; ref: AsmRef } | { kind: "ssm"; ref: SsmRef } | { kind: "bad-arn"; valueFrom: string };

/** Classifies a valueFrom: a secretsmanager ARN is Secrets Manager; anything else (name or ARN) is SSM. */
export function classify(valueFrom: string, taskScope: Scope): Ref {
  const p = valueFrom.startsWith("arn:") ? parseArn(valueFrom) : undefined;
  if (p?.service === "secretsmanager") {
    const parts = p.resource.split(":");
    if (parts[0] !== "secret" || (parts.length !== 2 && parts.length !== 5)) return { kind: "bad-arn", valueFrom };
    const secretId = `arn:${p.partition}:secretsmanager:${p.region}:${p.accountId}:secret:${parts[1]}`;
    return {
      kind: "asm",
      ref: {
        valueFrom,
        secretId,
        scope: { accountId: p.accountId, region: p.region },
        jsonKey: parts[2] ?? "",
        versionStage: parts[3] ?? "",
        versionId: parts[4] ?? "",
      },
    };
  }
  if (p?.service === "ssm" && p.resource.startsWith("parameter/")) {
    const rest = p.resource.slice("parameter/".length);
    return { kind: "ssm", ref: { valueFrom, scope: { accountId: p.accountId, region: p.region }, name: rest.includes("/") ? `/${rest}` : rest } };
  }
  return { kind: "ssm", ref: { valueFrom, scope: taskScope, name: valueFrom } };
}

/** Go's `%v` of a decoded JSON value, as the agent formats a non-string JSON field. */
export function goFormat(v: unknown): string {
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${entries.map(([k, x]) => `${k}:${goFormat(x)}`).join(" ")}]`;
}

/** strconv.FormatFloat(x, 'g', -1, 64) as %v prints it: exponent form below 1e-4 and from 1e21. */
function goFloat(x: number): string {
  if (x === 0) return "0";
  const [mantissa, exp] = x.toExponential().split("e") as [string, string];
  const n = Number(exp);
  if (n < -4 || n >= 21) return `${mantissa}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  return String(x);
}

/** The text encoding/json gives for a value that is not a JSON object (what the agent reports). */
function jsonError(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const first = text.trimStart()[0];
    if (first === undefined) return "unexpected end of JSON input";
    if (!/[[{"\d\-tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
    return "unexpected end of JSON input";
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    const kind = doc === null ? undefined : Array.isArray(doc) ? "array" : typeof doc === "string" ? "string" : typeof doc === "boolean" ? "bool" : "number";
    return kind ? `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}` : undefined;
  }
  return undefined;
}

/** One failure, with both texts (Fargate's and the EC2 agent's). */
class Failure {
  readonly fargate: string;
  readonly ec2: string;
  constructor(fargate: string, ec2: string) {
    this.fargate = fargate;
    this.ec2 = ec2;
  }
}

const capitalise = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s).replace(/\s+/g, " ");

function sdkError(operation: string, service: string, err: SecretSourceError, requestId: string): string {
  return `operation error ${service}: ${operation}, https response error StatusCode: 400, RequestID: ${requestId}, ${err.code}: ${err.message}`;
}

export class SecretResolver {
  readonly #sources: SecretSources;
  readonly #requestId: () => string;

  /** `requestId` makes the request ids quoted in the EC2 agent's error texts. */
  constructor(sources: SecretSources, requestId: () => string) {
    this.#sources = sources;
    this.#requestId = requestId;
  }

  /**
   * Every secret of a task's containers, or the stopped reason of the failure (Fargate's text for
   * FARGATE tasks, the EC2 agent's otherwise). Tasks without secrets make no call at all.
   */
  resolve(containers: readonly ContainerDefinition[], taskScope: Scope, launch: LaunchKind): ResolvedSecrets | { error: string } {
    const env = new Map<string, Map<string, string>>();
    const logOptions = new Map<string, Record<string, string>>();
    const registry = new Map<string, RegistryCredentials>();
    try {
      // Registry credentials first (needed by the pull), then SSM in batches, then Secrets Manager.
      for (const c of containers) {
        const param = c.repositoryCredentials?.credentialsParameter;
        if (param) registry.set(c.name ?? "", this.#registryAuth(param, taskScope));
      }
      const wanted: { container: string; secret: Secret; target: "env" | "log" }[] = [];
      for (const c of containers) {
        for (const s of c.secrets ?? []) wanted.push({ container: c.name ?? "", secret: s, target: "env" });
        for (const s of c.logConfiguration?.secretOptions ?? []) wanted.push({ container: c.name ?? "", secret: s, target: "log" });
      }
      if (wanted.length === 0 && registry.size === 0) return { env, logOptions, registry };
      const refs = wanted.map((w) => ({ ...w, ref: classify(w.secret.valueFrom ?? "", taskScope) }));
      const ssmValues = this.#ssm(refs.flatMap((r) => (r.ref.kind === "ssm" ? [r.ref.ref] : [])));
      const asmErrors: Failure[] = [];
      const values = new Map<(typeof refs)[number], string>();
      for (const r of refs) {
        if (r.ref.kind === "ssm") values.set(r, ssmValues.get(r.ref.ref.valueFrom)!);
        else if (r.ref.kind === "bad-arn")
          asmErrors.push(
            new Failure(
              `unable to retrieve secret from asm: service call has been retried 1 time(s): ${INVALID_ARN}`,
              `Trying to retrieve secret with value ${r.ref.valueFrom} resulted in error: ${INVALID_ARN}`,
            ),
          );
        else {
          try {
            values.set(r, this.#asm(r.ref.ref));
          } catch (err) {
            if (err instanceof Failure) asmErrors.push(err);
            else throw err;
          }
        }
      }
      // The agent fetches Secrets Manager secrets in parallel and joins their errors with ";".
      if (asmErrors.length) throw new Failure(asmErrors.map((e) => e.fargate).join(";"), asmErrors.map((e) => e.ec2).join(";"));
      for (const [r, v] of values) {
        const name = r.secret.name ?? "";
        if (r.target === "env") {
          const m = env.get(r.container) ?? new Map<string, string>();
          m.set(name, v);
          env.set(r.container, m);
        } else logOptions.set(r.container, { ...(logOptions.get(r.container) ?? {}), [name]: v });
      }
      return { env, logOptions, registry };
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      return { error: launch === "FARGATE" ? FARGATE_PREFIX + err.fargate : capitalise(err.ec2) };
    }
  }

  /** Values of SSM references by valueFrom; GetParameters per region, ten names at a time. */
  #ssm(refs: readonly SsmRef[]): Map<string, string> {
    const out = new Map<string, string>();
    const byRegion = new Map<string, SsmRef[]>();
    for (const r of refs) byRegion.set(`${r.scope.accountId}/${r.scope.region}`, [...(byRegion.get(`${r.scope.accountId}/${r.scope.region}`) ?? []), r]);
    for (const group of byRegion.values()) {
      const scope = group[0]!.scope;
      const names = [...new Set(group.map((r) => r.name))];
      const invalid: string[] = [];
      const values = new Map<string, string>();
      for (let i = 0; i < names.length; i += SSM_BATCH) {
        let answer: ReturnType<SecretSources["parameters"]>;
        try {
          answer = this.#sources.parameters(scope, names.slice(i, i + SSM_BATCH));
        } catch (err) {
          if (!(err instanceof SecretSourceError)) throw err;
          throw new Failure(
            `unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${err.code}: ${err.message}`,
            `fetching secret data from SSM Parameter Store in ${scope.region}: ${sdkError("GetParameters", "SSM", err, this.#requestId())}`,
          );
        }
        invalid.push(...answer.invalid);
        for (const [k, v] of answer.values) values.set(k, v);
      }
      if (invalid.length)
        throw new Failure(
          `unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: ${invalid.join(",")}`,
          `fetching secret data from SSM Parameter Store in ${scope.region}: invalid parameters: ${invalid.join(",")}`,
        );
      for (const r of group) out.set(r.valueFrom, values.get(r.name)!);
    }
    return out;
  }

  /** One Secrets Manager reference: the secret (by stage or id), then its JSON key if one is named. */
  #asm(r: AsmRef): string {
    const select: { versionStage?: string; versionId?: string } = {};
    if (r.versionStage) select.versionStage = r.versionStage;
    if (r.versionId) select.versionId = r.versionId;
    let text: string;
    try {
      text = this.#sources.secretValue(r.scope, r.secretId, select);
    } catch (err) {
      if (!(err instanceof SecretSourceError)) throw err;
      const sdk = sdkError("GetSecretValue", "Secrets Manager", err, this.#requestId());
      throw new Failure(
        `unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${r.secretId} from secrets manager: ${err.code}: ${err.message}`,
        err.code === "ResourceNotFoundException"
          ? `ResourceNotFoundException: The task can't retrieve the secret with ARN '${r.secretId}' from AWS Secrets Manager. Check whether the secret exists in the specified Region: ${sdk}`
          : `secret ${r.secretId}: ${sdk}: ${sdk}`,
      );
    }
    if (!r.jsonKey) return text;
    const bad = jsonError(text);
    if (bad) throw new Failure(`unable to retrieve secret from asm: service call has been retried 1 time(s): ${bad}`, `${bad}`);
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (!(r.jsonKey in doc))
      throw new Failure(
        `unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key ${r.jsonKey}`,
        `retrieved secret from Secrets Manager did not contain json key ${r.jsonKey}`,
      );
    return goFormat(doc[r.jsonKey]);
  }

  /** repositoryCredentials: a secret holding {"username","password"} (ARN or name, fetched as given). */
  #registryAuth(param: string, taskScope: Scope): RegistryCredentials {
    const p = param.startsWith("arn:") ? parseArn(param) : undefined;
    const scope = p ? { accountId: p.accountId, region: p.region } : taskScope;
    const fail = (detail: string) =>
      new Failure(`unable to get registry auth from asm: service call has been retried 1 time(s): ${detail}`, detail);
    let text: string;
    try {
      text = this.#sources.secretValue(scope, param, {});
    } catch (err) {
      if (!(err instanceof SecretSourceError)) throw err;
      throw fail(`asm fetching secret from the service for ${param}: ${err.code}: ${err.message}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw fail("asm fetching authorization data: unable to unmarshal secret value, invalid schema");
    }
    const { username, password } = (doc ?? {}) as { username?: unknown; password?: unknown };
    if (typeof username !== "string" || username === "") throw fail("asm fetching username: AuthorizationData is malformed, empty field");
    if (typeof password !== "string" || password === "") throw fail("asm fetching password: AuthorizationData is malformed, empty field");
    return { username, password };
  }
}
