/**
 * ECS task definitions: register, describe, list, deregister, delete, and the rules of
 * RegisterTaskDefinition (validation and the defaults ECS fills in), as described in
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
 *
 * Each revision is stored as its SDK `TaskDefinition` document (repo.ts); revision numbers are
 * never reused, even after deletion. Tags are kept under the revision ARN.
 */
import type {
  Attribute,
  ContainerDefinition,
  DeleteTaskDefinitionsRequest,
  DeleteTaskDefinitionsResponse,
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  Failure,
  HealthCheck,
  ListTaskDefinitionFamiliesRequest,
  ListTaskDefinitionFamiliesResponse,
  ListTaskDefinitionsRequest,
  ListTaskDefinitionsResponse,
  PortMapping,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  Tag as SdkTag,
  TaskDefinition,
  TaskDefinitionStatus,
} from "@aws-sdk/client-ecs";
import { arn as buildArn, parseArn, type Scope } from "../../core/arn.ts";
import type { Tag, Tagging } from "../common/tagging.ts";
import type { CallScope, EcsDeps } from "./context.ts";
import { badNextToken, clientError, invalidParameter } from "./errors.ts";
import { isValidFargateSize, parseCpuUnits, parseMemoryMiB } from "./fargate.ts";
import { dependencyOrder } from "./container-spec.ts";
import type { ContainerDefinitionDoc, TaskDefinitionDoc } from "./model.ts";
import type { EcsRepo, TaskDefinitionRow } from "./repo.ts";
import { ecsTags } from "./tags.ts";
import { unimplementedNotice, unimplementedSettings } from "./unimplemented.ts";

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
/** Docker reference characters (registry/repo:tag@digest); whitespace and the like are rejected. */
const IMAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;
const ECR_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

const MSG = {
  describeNotFound: "Unable to describe task definition.",
  launchNotFound: "TaskDefinition not found.",
  launchInactive: "The specified task definition is inactive. Specify an active task definition and try again.",
  notExist: "The specified task definition does not exist.",
  revisionRequired: "Revision is required.",
  stillActive: "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
} as const;

// ---------------------------------------------------------------------------------------------
// References

function taskDefinitionArn(scope: Scope, family: string, revision: number): string {
  return buildArn("ecs", scope, `task-definition/${family}:${revision}`);
}

/** A parsed reference: "family", "family:rev" or a task-definition ARN. */
type Ref = { family: string; revision?: number } | { invalid: true };

function parseRef(scope: Scope, ref: string | undefined): Ref {
  if (!ref) return { invalid: true };
  let text = ref;
  if (ref.startsWith("arn:")) {
    const parsed = parseArn(ref);
    if (!parsed || parsed.service !== "ecs" || !parsed.resource.startsWith("task-definition/")) return { invalid: true };
    if (parsed.accountId !== scope.accountId || parsed.region !== scope.region) return { invalid: true };
    text = parsed.resource.slice("task-definition/".length);
    if (!text.includes(":")) return { invalid: true };
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) return NAME_PATTERN.test(text) ? { family: text } : { invalid: true };
  const family = text.slice(0, colon);
  const rev = text.slice(colon + 1);
  if (!NAME_PATTERN.test(family) || !/^[1-9]\d{0,9}$/.test(rev)) return { invalid: true };
  return { family, revision: Number(rev) };
}

// ---------------------------------------------------------------------------------------------
// Pagination: opaque keyset tokens (base64url JSON of the last key returned), not offsetPage:
// revisions registered or deleted between two pages neither repeat nor skip entries.

function encodeToken(key: unknown): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key }), "utf8").toString("base64url");
}

function decodeToken<T>(token: string | undefined, check: (k: unknown) => k is T): T | undefined {
  if (token === undefined || token === "") return undefined;
  try {
    const obj = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: unknown; k?: unknown };
    if (obj && obj.v === 1 && check(obj.k)) return obj.k;
  } catch {
    // fall through
  }
  throw badNextToken();
}

function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined) return 100;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw invalidParameter("maxResults must be between 1 and 100.");
  }
  return maxResults;
}

function checkStatus<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidParameter(`1 validation error detected: Value '${value}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`);
  }
  return value as T;
}

// ---------------------------------------------------------------------------------------------
// Validation and normalisation

function prune<T extends object>(obj: T): T {
  for (const k of Object.keys(obj) as (keyof T)[]) if (obj[k] === undefined) delete obj[k];
  return obj;
}

function isAwslogs(c: ContainerDefinition): boolean {
  return c.logConfiguration?.logDriver === "awslogs";
}

function normaliseHealthCheck(name: string, hc: HealthCheck): HealthCheck {
  if (!hc.command || hc.command.length === 0) {
    throw clientError(`Invalid setting for container '${name}'. Health check command should not be null or empty.`);
  }
  const out: HealthCheck = { ...hc, command: [...hc.command], interval: hc.interval ?? 30, timeout: hc.timeout ?? 5, retries: hc.retries ?? 3 };
  const bounds: [keyof HealthCheck, number, number][] = [
    ["interval", 5, 300],
    ["timeout", 2, 60],
    ["retries", 1, 10],
    ["startPeriod", 0, 300],
  ];
  for (const [k, lo, hi] of bounds) {
    const v = out[k] as number | undefined;
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw clientError(`Invalid setting for container '${name}'. Health check ${k} must be between ${lo} and ${hi}.`);
    }
  }
  return prune(out);
}

function normalisePortMappings(name: string, mode: string, mappings: PortMapping[] | undefined): PortMapping[] {
  const list = mappings ?? [];
  if (mode === "none" && list.length > 0) {
    throw clientError(`Invalid setting for container '${name}'. Port mappings are not supported when networkMode=none.`);
  }
  return list.map((pm) => {
    const out: PortMapping = { ...pm };
    if (out.containerPortRange === undefined) {
      if (out.containerPort === undefined || !Number.isInteger(out.containerPort) || out.containerPort < 1 || out.containerPort > 65535) {
        throw clientError(`Invalid setting for container '${name}'. Container port must be between 1 and 65535.`);
      }
    }
    if (out.hostPort !== undefined && (!Number.isInteger(out.hostPort) || out.hostPort < 0 || out.hostPort > 65535)) {
      throw clientError(`Invalid setting for container '${name}'. Host port must be between 0 and 65535.`);
    }
    if (out.protocol !== undefined && out.protocol !== "tcp" && out.protocol !== "udp") {
      throw clientError(`Invalid setting for container '${name}'. Protocol must be tcp or udp.`);
    }
    if ((mode === "awsvpc" || mode === "host") && out.containerPort !== undefined) {
      if (out.hostPort === undefined) out.hostPort = out.containerPort;
      else if (out.hostPort !== out.containerPort) {
        throw clientError(`When networkMode=${mode}, the host ports and container ports in port mappings must match.`);
      }
    }
    out.protocol ??= "tcp";
    return prune(out);
  });
}

function normaliseContainer(c: ContainerDefinition, mode: string): ContainerDefinitionDoc {
  if (c === null || typeof c !== "object") throw clientError("Container definition should not be null.");
  if (c.name === undefined || c.name === "") throw clientError("Container.name should not be null or empty.");
  if (!NAME_PATTERN.test(c.name)) {
    throw clientError(
      `Invalid setting for container '${c.name}'. Container names must be 1-255 characters: letters (uppercase and lowercase), numbers, hyphens and underscores.`,
    );
  }
  if (c.image === undefined || c.image === "") throw clientError("Container.image should not be null or empty.");
  if (!IMAGE_PATTERN.test(c.image) || c.image.length > 1024) throw clientError("Container.image contains invalid characters.");
  for (const [k, v] of [
    ["cpu", c.cpu],
    ["memory", c.memory],
    ["memoryReservation", c.memoryReservation],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw clientError(`Invalid setting for container '${c.name}'. '${k}' must be a non-negative integer.`);
    }
  }
  if (c.memory !== undefined && c.memoryReservation !== undefined && c.memory < c.memoryReservation) {
    throw clientError(`Invalid setting for container '${c.name}'. 'memory' must be greater than or equal to 'memoryReservation'.`);
  }
  if (c.memory !== undefined && c.memory < 6) {
    throw clientError(`Invalid setting for container '${c.name}'. The 'memory' setting must be at least 6 MiB.`);
  }
  const out: ContainerDefinitionDoc = {
    ...c,
    name: c.name,
    image: c.image,
    cpu: c.cpu ?? 0,
    portMappings: normalisePortMappings(c.name, mode, c.portMappings),
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
  };
  if (c.healthCheck) out.healthCheck = normaliseHealthCheck(c.name, c.healthCheck);
  return prune(out);
}

function requiredAttributes(req: RegisterTaskDefinitionRequest, containers: ContainerDefinition[], mode: string): Attribute[] {
  const names = new Set<string>();
  const add = (n: string) => names.add(n);
  const execRole = !!req.executionRoleArn;
  if (req.taskRoleArn) add("com.amazonaws.ecs.capability.task-iam-role");
  for (const c of containers) {
    if (isAwslogs(c)) {
      add("com.amazonaws.ecs.capability.logging-driver.awslogs");
      add("com.amazonaws.ecs.capability.docker-remote-api.1.19");
      if (execRole) add("ecs.capability.execution-role-awslogs");
    } else if (c.logConfiguration?.logDriver) {
      add(`com.amazonaws.ecs.capability.logging-driver.${c.logConfiguration.logDriver}`);
    }
    if (c.image && ECR_IMAGE.test(c.image)) {
      add("com.amazonaws.ecs.capability.ecr-auth");
      if (execRole) add("ecs.capability.execution-role-ecr-pull");
    }
    if (c.memoryReservation !== undefined) add("com.amazonaws.ecs.capability.docker-remote-api.1.21");
    if (c.dockerLabels && Object.keys(c.dockerLabels).length > 0) add("com.amazonaws.ecs.capability.docker-remote-api.1.18");
    if (c.healthCheck) {
      add("ecs.capability.container-health-check");
      add("com.amazonaws.ecs.capability.docker-remote-api.1.24");
    }
    if ((c.dependsOn?.length ?? 0) > 0 || c.startTimeout !== undefined || c.stopTimeout !== undefined) add("ecs.capability.container-ordering");
    if (c.linuxParameters?.initProcessEnabled) add("com.amazonaws.ecs.capability.docker-remote-api.1.25");
    if ((c.environmentFiles?.length ?? 0) > 0) add("ecs.capability.env-files.s3");
    for (const s of c.secrets ?? []) {
      if (s.valueFrom?.includes(":secretsmanager:")) add("ecs.capability.secrets.asm.environment-variables");
      else add("ecs.capability.secrets.ssm.environment-variables");
    }
    if (c.repositoryCredentials) add("com.amazonaws.ecs.capability.private-registry-authentication.secretsmanager");
  }
  if (mode === "awsvpc") {
    add("ecs.capability.task-eni");
    add("com.amazonaws.ecs.capability.docker-remote-api.1.18");
  }
  if (req.pidMode) add("ecs.capability.pid-ipc-namespace-sharing");
  return [...names].map((name) => ({ name }));
}

interface Normalised {
  family: string;
  doc: TaskDefinition & { containerDefinitions: ContainerDefinitionDoc[] };
}

function validateAndNormalise(req: RegisterTaskDefinitionRequest): Normalised {
  if (req.family === undefined || req.family === "") throw clientError("Family should not be null or empty.");
  if (!NAME_PATTERN.test(req.family)) {
    throw clientError("Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.");
  }
  if (!req.containerDefinitions || req.containerDefinitions.length === 0) throw clientError("Container list cannot be empty.");
  if (req.networkMode !== undefined && !["bridge", "host", "awsvpc", "none"].includes(req.networkMode)) {
    throw clientError(`Invalid networkMode '${req.networkMode}'. Valid values are bridge, host, awsvpc and none.`);
  }
  const mode = req.networkMode ?? "bridge";

  // Task-level cpu / memory → strings of units / MiB.
  let cpu: number | undefined;
  if (req.cpu !== undefined && req.cpu !== "") {
    cpu = parseCpuUnits(req.cpu);
    if (cpu === undefined) throw clientError(`Invalid 'cpu' setting for task.`);
  }
  let memory: number | undefined;
  if (req.memory !== undefined && req.memory !== "") {
    memory = parseMemoryMiB(req.memory);
    if (memory === undefined || memory < 1) throw clientError(`Invalid 'memory' setting for task.`);
  }

  const fargate = req.requiresCompatibilities?.includes("FARGATE") ?? false;
  if (!fargate && cpu !== undefined && (cpu < 128 || cpu > 196608)) {
    throw clientError("Invalid 'cpu' setting for task. Task cpu must be between 128 and 196608 units.");
  }

  const containers = req.containerDefinitions.map((c) => normaliseContainer(c, mode));

  const names = new Set<string>();
  for (const c of containers) {
    if (names.has(c.name)) throw clientError(`Duplicate container name '${c.name}'. Container names must be unique within a task definition.`);
    names.add(c.name);
  }
  if (!containers.some((c) => c.essential)) throw clientError("A task definition must have at least one essential container.");
  dependencyOrder(containers);

  // Secrets are read with the execution role, so a task definition with any needs one.
  if (!req.executionRoleArn) {
    if (containers.some((c) => (c.secrets?.length ?? 0) > 0 || (c.logConfiguration?.secretOptions?.length ?? 0) > 0))
      throw clientError("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
    if (containers.some((c) => c.repositoryCredentials))
      throw clientError("Private repository authentication requires that the task definition specify a value for executionRoleArn.");
  }

  if (fargate) {
    if (mode !== "awsvpc") throw clientError("Fargate only supports network mode \u2018awsvpc\u2019.");
    if (cpu === undefined) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined) throw clientError("Fargate requires that 'memory' be defined at the task level.");
    if (!isValidFargateSize(cpu, memory)) throw clientError(`No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory.`);
    if (!req.executionRoleArn) {
      if (containers.some(isAwslogs)) throw clientError("Fargate requires task definition to have execution role ARN to support log driver awslogs.");
      if (containers.some((c) => ECR_IMAGE.test(c.image))) throw clientError("Fargate requires task definition to have execution role ARN to support ECR images.");
    }
  } else if (memory === undefined) {
    for (const c of containers) {
      if (c.memory === undefined && c.memoryReservation === undefined) {
        throw clientError(`Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
      }
    }
  }
  if (memory !== undefined) {
    let sum = 0;
    for (const c of containers) {
      sum += c.memory ?? c.memoryReservation ?? 0;
      if (sum > memory) throw clientError(`The 'memory' setting for container '${c.name}' is greater than for the task.`);
    }
  }
  if (cpu !== undefined) {
    let sum = 0;
    for (const c of containers) {
      sum += c.cpu ?? 0;
      if (sum > cpu) throw clientError(`The 'cpu' setting for container '${c.name}' is greater than for the task.`);
    }
  }

  const fargateValid =
    mode === "awsvpc" &&
    cpu !== undefined &&
    memory !== undefined &&
    isValidFargateSize(cpu, memory) &&
    (!!req.executionRoleArn || !containers.some(isAwslogs));

  const { tags: _tags, ...rest } = req;
  const doc: Normalised["doc"] = prune({
    ...rest,
    containerDefinitions: containers,
    volumes: req.volumes ?? [],
    placementConstraints: req.placementConstraints ?? [],
    cpu: cpu === undefined ? undefined : String(cpu),
    memory: memory === undefined ? undefined : String(memory),
    requiresAttributes: requiredAttributes(req, containers, mode),
    compatibilities: fargateValid ? ["EC2", "FARGATE"] : ["EXTERNAL", "EC2"],
  });
  return { family: req.family, doc };
}

function validateTags(tags: SdkTag[] | undefined): Tag[] {
  const out: Tag[] = [];
  if (!tags) return out;
  if (tags.length > 50) throw invalidParameter("The number of tags exceeds the limit of 50.");
  for (const t of tags) {
    if (!t.key) throw invalidParameter("Tag key should not be null or empty.");
    if (t.key.length > 128 || (t.value ?? "").length > 256) throw invalidParameter("Tag key or value exceeds the maximum length.");
    out.push({ key: t.key, value: t.value ?? "" });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Operations

const isKey = (k: unknown): k is [string, number] =>
  Array.isArray(k) && k.length === 2 && typeof k[0] === "string" && typeof k[1] === "number" && Number.isInteger(k[1]);

const isFamilyKey = (k: unknown): k is string => typeof k === "string";

/** Task definition revisions: register, describe, list, deregister, delete, and lookups for launches. */
export class TaskDefinitions {
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #tags: Tagging;
  readonly #warn: (msg: string) => void;

  /** `warn` hears the settings a registered definition uses that Slipway does not implement. */
  constructor(deps: EcsDeps, repo: EcsRepo, tags: Tagging, warn: (msg: string) => void = () => {}) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
    this.#warn = warn;
  }

  register(scope: CallScope, input: RegisterTaskDefinitionRequest): RegisterTaskDefinitionResponse {
    const { family, doc } = validateAndNormalise(input);
    // A bare role name is the role of the caller's account.
    for (const k of ["taskRoleArn", "executionRoleArn"] as const) {
      const v = doc[k];
      if (v && !v.startsWith("arn:")) doc[k] = `arn:aws:iam::${scope.accountId}:role/${v}`;
    }
    const tags = validateTags(input.tags);
    return this.#deps.store.tx(() => {
      const revision = this.#repo.nextRevision(scope, family);
      const arn = taskDefinitionArn(scope, family, revision);
      const td: TaskDefinitionDoc = {
        taskDefinitionArn: arn,
        ...doc,
        family,
        revision,
        status: "ACTIVE",
        registeredAt: new Date(this.#deps.clock.now()),
        registeredBy: scope.principalArn,
      };
      this.#repo.insertTaskDefinition(scope, td);
      this.#tags.set(arn, tags);
      const unimplemented = unimplementedSettings(td);
      if (unimplemented.length) this.#warn(unimplementedNotice(family, revision, unimplemented));
      const out: RegisterTaskDefinitionResponse = { taskDefinition: td };
      if (tags.length > 0) out.tags = ecsTags.write(this.#tags.of(arn));
      return out;
    });
  }

  describe(scope: Scope, input: DescribeTaskDefinitionRequest): DescribeTaskDefinitionResponse {
    const { row } = this.#lookup(scope, input.taskDefinition);
    if (!row) throw clientError(MSG.describeNotFound);
    const out: DescribeTaskDefinitionResponse = { taskDefinition: row.doc };
    if (input.include?.includes("TAGS")) out.tags = ecsTags.write(this.#tags.of(row.arn));
    return out;
  }

  list(scope: Scope, input: ListTaskDefinitionsRequest): ListTaskDefinitionsResponse {
    const status = checkStatus<TaskDefinitionStatus>(input.status, ["ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"], "ACTIVE");
    const sort = checkStatus<"ASC" | "DESC">(input.sort, ["ASC", "DESC"], "ASC");
    const limit = pageSize(input.maxResults);
    const after = decodeToken(input.nextToken, isKey);
    const rows = this.#repo.listTaskDefinitionArns(scope, { status, familyPrefix: input.familyPrefix, sort, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const out: ListTaskDefinitionsResponse = { taskDefinitionArns: page.map((r) => r.arn) };
    const last = page[page.length - 1];
    if (rows.length > limit && last) out.nextToken = encodeToken([last.family, last.revision]);
    return out;
  }

  listFamilies(scope: Scope, input: ListTaskDefinitionFamiliesRequest): ListTaskDefinitionFamiliesResponse {
    const status = checkStatus<"ACTIVE" | "INACTIVE" | "ALL">(input.status, ["ACTIVE", "INACTIVE", "ALL"], "ACTIVE");
    const limit = pageSize(input.maxResults);
    const after = decodeToken(input.nextToken, isFamilyKey);
    const families = this.#repo.listTaskDefinitionFamilies(scope, { status, familyPrefix: input.familyPrefix, after, limit: limit + 1 });
    const page = families.slice(0, limit);
    const out: ListTaskDefinitionFamiliesResponse = { families: page };
    const last = page[page.length - 1];
    if (families.length > limit && last !== undefined) out.nextToken = encodeToken(last);
    return out;
  }

  deregister(scope: Scope, input: DeregisterTaskDefinitionRequest): DeregisterTaskDefinitionResponse {
    return this.#deps.store.tx(() => {
      const { row, bareFamily } = this.#lookup(scope, input.taskDefinition);
      if (bareFamily) throw clientError(MSG.revisionRequired);
      if (!row) throw clientError(MSG.notExist);
      const td = row.doc;
      if (td.status === "ACTIVE") {
        const next: TaskDefinitionDoc = { ...td, status: "INACTIVE", deregisteredAt: new Date(this.#deps.clock.now()) };
        this.#repo.updateTaskDefinition(next);
        return { taskDefinition: next };
      }
      return { taskDefinition: td };
    });
  }

  delete(scope: Scope, input: DeleteTaskDefinitionsRequest): DeleteTaskDefinitionsResponse {
    const refs = input.taskDefinitions ?? [];
    if (refs.length === 0) throw invalidParameter("Task definitions cannot be empty.");
    if (refs.length > 10) throw invalidParameter("A maximum of 10 task definitions can be deleted in a single request.");
    return this.#deps.store.tx(() => {
      const taskDefinitions: TaskDefinition[] = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        const { row, bareFamily } = this.#lookup(scope, ref);
        if (bareFamily) {
          failures.push({ arn: ref, reason: "The specified task definition identifier is invalid. Specify a valid name or ARN and try again.", detail: MSG.revisionRequired });
          continue;
        }
        if (!row) {
          failures.push({ arn: ref, reason: MSG.notExist });
          continue;
        }
        let td = row.doc;
        if (td.status === "ACTIVE") {
          failures.push({ arn: row.arn, reason: MSG.stillActive });
          continue;
        }
        if (td.status === "INACTIVE") {
          td = { ...td, status: "DELETE_IN_PROGRESS", deleteRequestedAt: new Date(this.#deps.clock.now()) };
          this.#repo.updateTaskDefinition(td);
        }
        taskDefinitions.push(td);
      }
      return { taskDefinitions, failures };
    });
  }

  /** For RunTask/CreateService/UpdateService: "family" → latest ACTIVE; exact refs must exist and be ACTIVE. */
  resolveForLaunch(scope: Scope, ref: string): TaskDefinitionDoc {
    const { row } = this.#lookup(scope, ref);
    if (!row) throw clientError(MSG.launchNotFound);
    if (row.status !== "ACTIVE") throw clientError(MSG.launchInactive);
    return row.doc;
  }

  /** Any status; undefined once purged or never registered (running tasks of deregistered revisions). */
  byArn(arn: string): TaskDefinitionDoc | undefined {
    return this.#repo.getTaskDefinitionByArn(arn);
  }

  /**
   * Removes a DELETE_IN_PROGRESS revision for good (its tags too). The caller decides when no task
   * or deployment references it any more. Returns whether a row was removed. The family's revision
   * counter is kept so revision numbers are never reused.
   */
  purge(arn: string): boolean {
    return this.#deps.store.tx(() => {
      if (!this.#repo.deleteTaskDefinition(arn)) return false;
      this.#tags.clear(arn);
      return true;
    });
  }

  #lookup(scope: Scope, ref: string | undefined): { row?: TaskDefinitionRow; bareFamily: boolean; invalid: boolean } {
    const parsed = parseRef(scope, ref);
    if ("invalid" in parsed) return { bareFamily: false, invalid: true };
    if (parsed.revision === undefined) return { row: this.#repo.latestActiveTaskDefinition(scope, parsed.family), bareFamily: true, invalid: false };
    return { row: this.#repo.getTaskDefinition(scope, parsed.family, parsed.revision), bareFamily: false, invalid: false };
  }
}
