/**
 * Parameters: writes (PutParameter with its Overwrite, type, tier and version rules), reads by name,
 * ARN, `name:version` or `name:label` (GetParameter, GetParameters, GetParametersByPath), history,
 * DescribeParameters, deletes, and SecureString encryption through KMS. Rules from
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeParameters.html
 */
import { linearRegExp } from "../../core/linear-regexp.ts";
import type * as ssm from "@aws-sdk/client-ssm";
import { arn, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { Tag, Tagging } from "../common/tagging.ts";
import type { SsmDeps } from "./context.ts";
import {
  alreadyExists,
  constraint,
  invalidFilterKey,
  invalidFilterOption,
  invalidKeyId,
  invalidNextToken,
  maxVersions,
  parameterNotFound,
  invalidAllowedPattern,
  patternMismatch,
  reservedName,
  unsupported,
  validation,
  versionNotFound,
} from "./errors.ts";
import { checkWriteName, keyOf, parameterArn, parseReference, pathPrefix, type Reference } from "./names.ts";
import { DEFAULT_KEY_ALIAS, KeyUnavailable } from "./ports.ts";
import { PUBLIC_DATE, PUBLIC_PREFIX, publicParameters } from "./public-parameters.ts";
import type { ParameterRow, SsmRepo, VersionRow } from "./repo.ts";

const STANDARD_MAX = 4096;
const ADVANCED_MAX = 8192;
const KEPT_VERSIONS = 100;
const DATA_TYPES = ["text", "aws:ec2:image", "aws:ssm:integration"];

/** One version of a parameter, as the reads see it. */
interface Resolved {
  readonly scope: Scope;
  readonly name: string;
  readonly arn: string;
  readonly type: string;
  /** Plain value, or undefined for SecureString (see blob). */
  readonly value: string | undefined;
  readonly blob: Uint8Array | null;
  readonly version: number;
  readonly modifiedAt: number;
  readonly dataType: string;
  readonly selector: string | undefined;
}

/** KMS's failure as SSM reports it: InvalidKeyId carrying KMS's message, as AWS does. */
function kmsFailure(err: KeyUnavailable, requestId: string): Error {
  return invalidKeyId(`${err.message} (Service: AWSKMS; Status Code: 400; Error Code: ${err.code}; Request ID: ${requestId}; Proxy: null)`);
}

export class Parameters {
  readonly #deps: SsmDeps;
  readonly #repo: SsmRepo;
  readonly #tagging: Tagging;

  constructor(deps: SsmDeps, repo: SsmRepo, tagging: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tagging = tagging;
  }

  // ---- writes ----

  put(scope: Scope, input: ssm.PutParameterRequest, user: string): ssm.PutParameterResult {
    const rawName = (input.Name ?? "").trim();
    if (keyOf(rawName).toLowerCase().startsWith("aws/") && rawName.startsWith("/")) throw reservedName(rawName);
    const name = checkWriteName(scope, input.Name);
    const key = keyOf(name);
    const value = input.Value ?? "";
    if (value.length < 1) throw validation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.");
    if (value.includes("{{") && value.includes("}}")) throw validation('Parameter value can\'t nest another parameter. Do not use "{{}}" in the value.');
    if (input.Description !== undefined && input.Description.length > 1024)
      throw constraint(input.Description, "description", "Member must have length less than or equal to 1024");
    const pattern = input.AllowedPattern ?? "";
    if (pattern.length > 1024) throw constraint(pattern, "allowedPattern", "Member must have length less than or equal to 1024");
    if (pattern !== "") {
      // The client's pattern runs on the linear-time engine, so no pattern can stall the server.
      const re = linearRegExp(`^(?:${pattern})$`);
      if (!re) throw invalidAllowedPattern(pattern);
      if (!re.test(value)) throw patternMismatch(pattern);
    }
    const dataType = input.DataType ?? "text";
    if (!DATA_TYPES.includes(dataType)) throw validation(`The following data type is not supported: ${dataType} (Data type names are all lowercase.)`);
    if (dataType === "aws:ec2:image" && !/^ami-[0-9a-f]{8,17}$/.test(value))
      throw validation(`Parameter value, ${value}, is not a valid image ID. Valid image IDs have the format ami-[0-9a-f]{8,17}.`);
    if (input.Policies !== undefined) throw unsupported("Slipway does not support parameter policies (Policies): they would be stored but never enforced.");
    const tags = (input.Tags ?? []).map((t) => ({ key: t.Key ?? "", value: t.Value ?? "" }));
    if (tags.length && input.Overwrite)
      throw validation(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
      );

    return this.#deps.store.tx(() => {
      const existing = this.#repo.parameter(scope, key);
      const latest = existing && this.#repo.version(scope, key, existing.version);
      if (existing && !input.Overwrite) throw alreadyExists();
      const type = input.Type ?? latest?.type;
      if (!type) throw validation("A parameter type is required when you create a parameter.");
      if (input.KeyId !== undefined && type !== "SecureString") throw validation(`KeyId is only used by SecureString parameters; this parameter's type is ${type}.`);
      const tier = this.#tier(input.Tier, value, latest?.tier);
      const max = tier === "Advanced" ? ADVANCED_MAX : STANDARD_MAX;
      if (Buffer.byteLength(value) > max)
        throw validation(
          tier === "Advanced"
            ? `Advanced tier parameters support a maximum parameter value of ${ADVANCED_MAX} characters.`
            : "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
        );
      const version = (existing?.version ?? 0) + 1;
      const paramName = existing?.name ?? name;
      const parameterArnValue = parameterArn(scope, paramName);
      let stored: string | null = value;
      let blob: Uint8Array | null = null;
      let keyId: string | null = null;
      if (type === "SecureString") {
        keyId = input.KeyId ?? (latest?.type === "SecureString" && input.KeyId === undefined ? latest.key_id : null) ?? DEFAULT_KEY_ALIAS;
        try {
          blob = this.#deps.keys.encrypt(scope, keyId, Buffer.from(value, "utf8"), { PARAMETER_ARN: parameterArnValue });
        } catch (err) {
          if (err instanceof KeyUnavailable) throw kmsFailure(err, this.#deps.ids.uuid());
          throw err;
        }
        stored = null;
      }
      this.#dropOldest(scope, key, paramName);
      this.#repo.upsertParameter(scope, key, paramName, version);
      this.#repo.insertVersion({
        account: scope.accountId,
        region: scope.region,
        key,
        version,
        type,
        value: stored,
        blob,
        key_id: keyId,
        description: input.Description ?? (input.Overwrite ? (latest?.description ?? null) : null),
        allowed_pattern: input.AllowedPattern ?? latest?.allowed_pattern ?? null,
        tier,
        data_type: dataType,
        modified_at: this.#deps.clock.now(),
        modified_user: user,
      });
      if (!existing) this.#tagging.set(parameterArnValue, tags as Tag[]);
      return { Version: version, Tier: tier as ssm.ParameterTier };
    });
  }

  /** The tier a write gets: Intelligent-Tiering picks Standard unless the value needs Advanced; Advanced never goes back. */
  #tier(requested: string | undefined, value: string, current: string | undefined): string {
    let tier = requested ?? current ?? "Standard";
    if (tier === "Intelligent-Tiering") tier = Buffer.byteLength(value) > STANDARD_MAX || current === "Advanced" ? "Advanced" : "Standard";
    if (current === "Advanced" && tier === "Standard")
      throw validation(
        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
      );
    return tier;
  }

  /** Parameter Store keeps 100 versions: the 101st write drops the oldest, unless a label holds it. */
  #dropOldest(scope: Scope, key: string, name: string): void {
    const versions = this.#repo.versions(scope, key);
    if (versions.length < KEPT_VERSIONS) return;
    const oldest = versions[0]!;
    if ([...this.#repo.labels(scope, key).values()].includes(oldest.version)) throw maxVersions(name, oldest.version);
    this.#repo.deleteVersion(scope, key, oldest.version);
  }

  delete(scope: Scope, name: string | undefined): void {
    const ref = parseReference(scope, name);
    this.#deps.store.tx(() => {
      const p = this.#repo.parameter(scope, ref.key);
      if (!p) throw parameterNotFound();
      this.#repo.deleteParameter(scope, ref.key);
      this.#tagging.clear(parameterArn(scope, p.name));
    });
  }

  deleteMany(scope: Scope, names: readonly string[] | undefined): ssm.DeleteParametersResult {
    const list = names ?? [];
    if (list.length < 1 || list.length > 10) throw constraint(undefined, "names", "Member must have length between 1 and 10");
    const DeletedParameters: string[] = [];
    const InvalidParameters: string[] = [];
    for (const n of list) {
      try {
        this.delete(scope, n);
        DeletedParameters.push(n);
      } catch {
        InvalidParameters.push(n);
      }
    }
    return { DeletedParameters, InvalidParameters };
  }

  // ---- reads ----

  /** The version a reference names, or ParameterNotFound / ParameterVersionNotFound. */
  resolve(ref: Reference): Resolved {
    if (ref.key.startsWith(PUBLIC_PREFIX)) return this.#public(ref);
    const p = this.#repo.parameter(ref.scope, ref.key);
    if (!p) throw parameterNotFound();
    let version = p.version;
    if (ref.selector !== undefined) {
      if (/^\d+$/.test(ref.selector)) version = Number(ref.selector);
      else {
        const labelled = this.#repo.labels(ref.scope, ref.key).get(ref.selector);
        if (labelled === undefined) throw parameterNotFound();
        version = labelled;
      }
    }
    const v = this.#repo.version(ref.scope, ref.key, version);
    if (!v) throw versionNotFound(p.name, ref.selector ?? String(version));
    return this.#resolved(ref.scope, p, v, ref.selector);
  }

  #resolved(scope: Scope, p: ParameterRow, v: VersionRow, selector: string | undefined): Resolved {
    return {
      scope,
      name: p.name,
      arn: parameterArn(scope, p.name),
      type: v.type,
      value: v.value ?? undefined,
      blob: v.blob,
      version: v.version,
      modifiedAt: v.modified_at,
      dataType: v.data_type,
      selector,
    };
  }

  #public(ref: Reference): Resolved {
    const p = publicParameters(ref.scope.region).get(ref.key);
    if (!p || (ref.selector !== undefined && ref.selector !== "1")) throw parameterNotFound();
    return {
      scope: ref.scope,
      name: p.name,
      arn: arn("ssm", { accountId: "", region: ref.scope.region }, `parameter/${ref.key}`),
      type: "String",
      value: p.value,
      blob: null,
      version: 1,
      modifiedAt: PUBLIC_DATE,
      dataType: p.dataType,
      selector: ref.selector,
    };
  }

  /** The value a read returns: SecureString decrypted when asked, else its ciphertext in base64. */
  #value(r: Resolved, withDecryption: boolean): string {
    if (r.value !== undefined) return r.value;
    const blob = r.blob ?? new Uint8Array();
    if (!withDecryption) return Buffer.from(blob).toString("base64");
    try {
      return this.#deps.keys.decrypt(r.scope, blob, { PARAMETER_ARN: r.arn }).toString("utf8");
    } catch (err) {
      if (err instanceof KeyUnavailable) throw kmsFailure(err, this.#deps.ids.uuid());
      throw err;
    }
  }

  #parameter(r: Resolved, withDecryption: boolean): ssm.Parameter {
    const out: ssm.Parameter = { Name: r.name, Type: r.type as ssm.ParameterType, Value: this.#value(r, withDecryption), Version: r.version };
    if (r.selector !== undefined) out.Selector = `:${r.selector}`;
    out.LastModifiedDate = new Date(r.modifiedAt);
    out.ARN = r.arn;
    out.DataType = r.dataType;
    return out;
  }

  get(scope: Scope, name: string | undefined, withDecryption: boolean | undefined): ssm.Parameter {
    const ref = parseReference(scope, name);
    if (ref.key.startsWith("aws/reference/"))
      throw validation("Slipway does not serve /aws/reference/secretsmanager/ parameters; read the secret with Secrets Manager's GetSecretValue.");
    return this.#parameter(this.resolve(ref), withDecryption ?? false);
  }

  getMany(scope: Scope, names: readonly string[] | undefined, withDecryption: boolean | undefined): ssm.GetParametersResult {
    const list = names ?? [];
    if (list.length < 1 || list.length > 10) throw constraint(undefined, "names", "Member must have length between 1 and 10");
    const Parameters: ssm.Parameter[] = [];
    const InvalidParameters: string[] = [];
    for (const n of list) {
      let r: Resolved;
      try {
        r = this.resolve(parseReference(scope, n));
      } catch {
        InvalidParameters.push(n);
        continue;
      }
      Parameters.push(this.#parameter(r, withDecryption ?? false));
    }
    Parameters.sort((a, b) => (a.Name! < b.Name! ? -1 : a.Name! > b.Name! ? 1 : 0));
    return { Parameters, InvalidParameters };
  }

  byPath(scope: Scope, input: ssm.GetParametersByPathRequest): ssm.GetParametersByPathResult {
    const prefix = pathPrefix(input.Path);
    const max = input.MaxResults ?? 10;
    if (!Number.isInteger(max) || max < 1 || max > 10)
      throw constraint(max, "maxResults", `Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 10"}`);
    const filters = input.ParameterFilters ?? [];
    for (const f of filters) {
      if (!["Type", "KeyId", "Label"].includes(f.Key ?? ""))
        throw invalidFilterKey(`The following filter key is not valid: ${f.Key}. Valid filter keys include: [Type, KeyId].`);
      if (f.Key === "Label" && f.Option !== undefined && f.Option !== "Equals")
        throw invalidFilterOption(`The following filter option is not valid: ${f.Option}. Valid options include: [Equals].`);
    }
    const direct = (rest: string) => input.Recursive || !rest.includes("/");
    let found: Resolved[];
    if (prefix.startsWith(PUBLIC_PREFIX) || (PUBLIC_PREFIX.startsWith(prefix) && prefix !== "")) {
      found = [...publicParameters(scope.region).keys()]
        .filter((k) => k.startsWith(prefix) && direct(k.slice(prefix.length)))
        .sort()
        .map((k) => this.#public({ name: `/${k}`, key: k, scope, selector: undefined }));
    } else {
      found = this.#repo
        .under(scope, prefix)
        .filter((p) => direct(p.key.slice(prefix.length)))
        .map((p) => this.#resolved(scope, p, this.#repo.version(scope, p.key, p.version)!, undefined))
        .filter((r) => filters.every((f) => this.#matches(scope, r, f)));
    }
    const page = offsetPage(found, max, input.NextToken, invalidNextToken);
    const Parameters = page.items.map((r) => this.#parameter(r, input.WithDecryption ?? false));
    return page.next ? { Parameters, NextToken: page.next } : { Parameters };
  }

  #matches(scope: Scope, r: Resolved, f: ssm.ParameterStringFilter): boolean {
    const values = f.Values ?? [];
    const option = f.Option ?? "Equals";
    const test = (actual: string | undefined) =>
      actual !== undefined &&
      values.some((v) => (option === "BeginsWith" ? actual.startsWith(v) : option === "Contains" ? actual.includes(v) : actual === v));
    switch (f.Key) {
      case "Type":
        return test(r.type);
      case "KeyId":
        return test(this.#repo.version(scope, keyOf(r.name), r.version)?.key_id ?? undefined);
      case "Label": {
        const labels = [...this.#repo.labels(scope, keyOf(r.name))].filter(([, v]) => v === r.version).map(([l]) => l);
        return labels.some((l) => values.includes(l));
      }
      default:
        return true;
    }
  }

  history(scope: Scope, input: ssm.GetParameterHistoryRequest): ssm.GetParameterHistoryResult {
    const max = input.MaxResults ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 50)
      throw constraint(max, "maxResults", `Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
    const ref = parseReference(scope, input.Name);
    const p = this.#repo.parameter(ref.scope, ref.key);
    if (!p) throw parameterNotFound();
    const labels = [...this.#repo.labels(ref.scope, ref.key)];
    const entries = this.#repo.versions(ref.scope, ref.key).map((v) => {
      const r = this.#resolved(ref.scope, p, v, undefined);
      const e: ssm.ParameterHistory = { Name: p.name, Type: v.type as ssm.ParameterType };
      if (v.key_id !== null) e.KeyId = v.key_id;
      e.LastModifiedDate = new Date(v.modified_at);
      e.LastModifiedUser = v.modified_user;
      if (v.description !== null) e.Description = v.description;
      e.Value = this.#value(r, input.WithDecryption ?? false);
      if (v.allowed_pattern !== null) e.AllowedPattern = v.allowed_pattern;
      e.Version = v.version;
      e.Labels = labels.filter(([, n]) => n === v.version).map(([l]) => l);
      e.Tier = v.tier as ssm.ParameterTier;
      e.Policies = [];
      e.DataType = v.data_type;
      return e;
    });
    const page = offsetPage(entries, max, input.NextToken, invalidNextToken);
    return page.next ? { Parameters: page.items, NextToken: page.next } : { Parameters: page.items };
  }

  describe(scope: Scope, input: ssm.DescribeParametersRequest): ssm.DescribeParametersResult {
    if (input.Filters !== undefined && input.ParameterFilters !== undefined) throw validation("You can use either Filters or ParameterFilters in a single request.");
    const max = input.MaxResults ?? 10;
    if (!Number.isInteger(max) || max < 1 || max > 50)
      throw constraint(max, "maxResults", `Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
    if (input.Shared) throw unsupported("Slipway has no parameters shared from other accounts (Shared).");
    const filters: ssm.ParameterStringFilter[] = [
      ...(input.ParameterFilters ?? []),
      ...(input.Filters ?? []).map((f) => ({ Key: f.Key, Option: "Equals", Values: f.Values })),
    ];
    const keys = ["Name", "Type", "KeyId", "Path", "Tier", "DataType"];
    for (const f of filters) {
      if (!keys.includes(f.Key ?? "") && !(f.Key ?? "").startsWith("tag:"))
        throw invalidFilterKey(`The following filter key is not valid: ${f.Key}. Valid filter keys include: [Path, Name, Type, KeyId, Tier, DataType, tag:*].`);
      const options = f.Key === "Path" ? ["Recursive", "OneLevel"] : f.Key === "Name" ? ["Equals", "BeginsWith", "Contains"] : ["Equals", "BeginsWith"];
      if (f.Option !== undefined && !options.includes(f.Option))
        throw invalidFilterOption(`The following filter option is not valid: ${f.Option}. Valid options include: [${options.join(", ")}].`);
    }
    const rows = this.#repo.parameters(scope).filter((p) => {
      const v = this.#repo.version(scope, p.key, p.version)!;
      return filters.every((f) => this.#describeMatch(scope, p, v, f));
    });
    const page = offsetPage(rows, max, input.NextToken, invalidNextToken);
    const Parameters = page.items.map((p) => {
      const v = this.#repo.version(scope, p.key, p.version)!;
      const m: ssm.ParameterMetadata = { Name: p.name, ARN: parameterArn(scope, p.name), Type: v.type as ssm.ParameterType };
      if (v.key_id !== null) m.KeyId = v.key_id;
      m.LastModifiedDate = new Date(v.modified_at);
      m.LastModifiedUser = v.modified_user;
      if (v.description !== null) m.Description = v.description;
      if (v.allowed_pattern !== null) m.AllowedPattern = v.allowed_pattern;
      m.Version = v.version;
      m.Tier = v.tier as ssm.ParameterTier;
      m.Policies = [];
      m.DataType = v.data_type;
      return m;
    });
    return page.next ? { Parameters, NextToken: page.next } : { Parameters };
  }

  #describeMatch(scope: Scope, p: ParameterRow, v: VersionRow, f: ssm.ParameterStringFilter): boolean {
    const values = f.Values ?? [];
    const option = f.Option;
    const str = (actual: string | null) =>
      actual !== null &&
      values.some((x) => (option === "BeginsWith" ? actual.startsWith(x) : option === "Contains" ? actual.includes(x) : actual === x));
    switch (f.Key) {
      case "Name": {
        // Name values match with or without the leading "/".
        const forms = (s: string) => [s, keyOf(s)];
        return values.some((x) =>
          forms(p.name).some((n) =>
            forms(x).some((w) => (option === "BeginsWith" ? n.startsWith(w) : option === "Contains" ? n.includes(w) : n === w)),
          ),
        );
      }
      case "Type":
        return str(v.type);
      case "KeyId":
        return str(v.key_id);
      case "Tier":
        return str(v.tier);
      case "DataType":
        return str(v.data_type);
      case "Path":
        return values.some((x) => {
          const prefix = pathPrefix(x);
          if (!p.key.startsWith(prefix)) return false;
          return option === "Recursive" || !p.key.slice(prefix.length).includes("/");
        });
      default: {
        const tagKey = (f.Key ?? "").slice("tag:".length);
        const tag = this.#tagging.of(parameterArn(scope, p.name)).find((t) => t.key === tagKey);
        return tag !== undefined && (values.length === 0 || str(tag.value));
      }
    }
  }
}
