/**
 * All ECS SQL: the only file that prepares statements on the ECS tables.
 * Rows carry the resource's API document (`doc`, the SDK shape) and Slipway's private
 * bookkeeping (`state`); timestamps inside docs are revived to Dates by key name.
 */
import type { TaskDefinitionStatus } from "@aws-sdk/client-ecs";
import { shortName, type Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";
import type { ClusterDoc, ContainerInstanceDoc, ServiceDoc, ServiceState, TaskDefinitionDoc, TaskDoc, TaskState } from "./model.ts";

const DATE_KEYS = new Set([
  "createdAt",
  "updatedAt",
  "startedAt",
  "stoppedAt",
  "stoppingAt",
  "pullStartedAt",
  "pullStoppedAt",
  "executionStoppedAt",
  "connectivityAt",
  "registeredAt",
  "deregisteredAt",
  "deleteRequestedAt",
  "finishedAt",
]);

/** Parses a stored document, turning ISO strings under the timestamp keys back into Dates. */
export function parseDoc<T>(json: string): T {
  return reviveDates(JSON.parse(json)) as T;
}

// A plain walk: measurably cheaper than a JSON.parse reviver, which calls back for every value.
function reviveDates(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) reviveDates(v[i]);
  } else if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (typeof x === "string") {
        if (DATE_KEYS.has(k)) o[k] = new Date(x);
      } else if (x !== null && typeof x === "object") {
        reviveDates(x);
      }
    }
  }
  return v;
}

/** What queryTasks and queryTaskArns select by (desiredStatus always). */
export interface TaskFilter {
  family?: string;
  service?: string;
  startedBy?: string;
  launchType?: string;
  desiredStatus: string;
  containerInstance?: string;
}

/** A row's API document. */
interface Row {
  doc: string;
}

/** A row's API document and Slipway's bookkeeping. */
interface StatefulRow extends Row {
  state: string;
}

export interface ServiceRecord {
  doc: ServiceDoc;
  state: ServiceState;
}

export interface TaskRecord {
  doc: TaskDoc;
  state: TaskState;
}

/** Where a record found by ARN lives. */
export interface Located {
  scope: Scope;
  cluster: string;
}

/** One task definition revision. */
export interface TaskDefinitionRow {
  family: string;
  revision: number;
  arn: string;
  status: TaskDefinitionStatus;
  doc: TaskDefinitionDoc;
}

/** What one non-stopped task reserves on the host. */
interface Reservation {
  cpu: number;
  memoryMiB: number;
  ports: readonly number[];
  containerInstance: string | undefined;
  status: string;
}

/**
 * The stored text of cluster and service rows, by key, as the store holds it now: DescribeServices,
 * ListTasks and most other calls read their cluster (and service) row on every request, and the
 * SQLite lookup was most of their cost. Every write to ecs_clusters and ecs_services is an upsert
 * in this file, which puts the text it wrote here once the statement succeeded; a transaction that
 * rolls back empties the cache (an uncommitted write must not outlive it). Reads still parse the
 * text into fresh objects, so callers may change what they get. Only rows that exist are cached,
 * and each table keeps at most ROW_CACHE_LIMIT rows and ROW_CACHE_CHARS characters of text (the
 * least recently written or read go first). One cache per store, shared by every EcsRepo on it;
 * no other process writes the database (`slipway up` holds the data directory's lock,
 * src/server/data-dir-lock.ts).
 */
export const ROW_CACHE_LIMIT = 2048;
export const ROW_CACHE_CHARS = 4 * 1024 * 1024;

const rowChars = (row: StatefulRow | Row): number => row.doc.length + ("state" in row ? row.state.length : 0);

/** Least recently used entries go first once there are more than `limit`, or their weights sum past `maxWeight`. */
class Lru<V> {
  readonly #entries = new Map<string, V>();
  #weight = 0;
  readonly limit: number;
  readonly maxWeight: number;
  readonly weigh: (v: V) => number;
  constructor(limit: number, maxWeight: number, weigh: (v: V) => number) {
    this.limit = limit;
    this.maxWeight = maxWeight;
    this.weigh = weigh;
  }
  get(key: string): V | undefined {
    const v = this.#entries.get(key);
    if (v !== undefined) {
      // Most recently used last: eviction takes the first.
      this.#entries.delete(key);
      this.#entries.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.delete(key);
    this.#entries.set(key, v);
    this.#weight += this.weigh(v);
    while (this.#entries.size > this.limit || this.#weight > this.maxWeight) this.delete(this.#entries.keys().next().value!);
  }
  delete(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#entries.delete(key);
    this.#weight -= this.weigh(old);
  }
  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }
  get size(): number {
    return this.#entries.size;
  }
  get weight(): number {
    return this.#weight;
  }
}

type TaskCounts = ReadonlyMap<string, { readonly running: number; readonly pending: number }>;

interface RepoCaches {
  clusters: Lru<Row>;
  services: Lru<StatefulRow>;
  /**
   * serviceTaskCounts' answer by service key: its GROUP BY was a tenth of DescribeServices' cost.
   * putTask is the only write that changes a count (purgeStoppedTasks deletes STOPPED rows only,
   * which no count includes), and it drops its service's entry; a rollback empties it.
   */
  taskCounts: Lru<TaskCounts>;
}

const rowCaches = new WeakMap<Store, RepoCaches>();

function rowCachesOf(store: Store): RepoCaches {
  let c = rowCaches.get(store);
  if (!c) {
    const caches: RepoCaches = {
      clusters: new Lru<Row>(ROW_CACHE_LIMIT, ROW_CACHE_CHARS, rowChars),
      services: new Lru<StatefulRow>(ROW_CACHE_LIMIT, ROW_CACHE_CHARS, rowChars),
      taskCounts: new Lru<TaskCounts>(ROW_CACHE_LIMIT, Infinity, () => 0),
    };
    store.onRollback(() => {
      caches.clusters.clear();
      caches.services.clear();
      caches.taskCounts.clear();
    });
    rowCaches.set(store, (c = caches));
  }
  return c;
}

/** What each table's cache holds now (tests read this; the bounds are ROW_CACHE_LIMIT and ROW_CACHE_CHARS). */
export function rowCacheSizes(store: Store): { clusters: number; services: number; clusterChars: number; serviceChars: number; taskCounts: number } {
  const c = rowCachesOf(store);
  return {
    clusters: c.clusters.size,
    services: c.services.size,
    clusterChars: c.clusters.weight,
    serviceChars: c.services.weight,
    taskCounts: c.taskCounts.size,
  };
}

export class EcsRepo {
  readonly store: Store;
  /**
   * The host's reservations by task ARN, kept in step with putTask so placement is O(1) per
   * launch; loaded on first use and dropped when a transaction rolls back.
   */
  #ledger: Map<string, Reservation> | undefined;
  #cpu = 0;
  #memoryMiB = 0;
  #ports = new Map<number, number>();

  readonly #cache: RepoCaches;

  constructor(store: Store) {
    this.store = store;
    this.#cache = rowCachesOf(store);
    store.onRollback(() => {
      this.#ledger = undefined;
    });
  }

  // ---- clusters
  getCluster(scope: Scope, name: string): ClusterDoc | undefined {
    const key = `${scope.accountId}\0${scope.region}\0${name}`;
    let row = this.#cache.clusters.get(key);
    if (!row) {
      row = this.store
        .prepare("SELECT doc FROM ecs_clusters WHERE account = ? AND region = ? AND name = ?")
        .get(scope.accountId, scope.region, name) as Row | undefined;
      if (row) this.#cache.clusters.set(key, { doc: row.doc });
    }
    return row ? parseDoc<ClusterDoc>(row.doc) : undefined;
  }
  listClusters(scope: Scope): ClusterDoc[] {
    const rows = this.store
      .prepare("SELECT doc FROM ecs_clusters WHERE account = ? AND region = ? AND status = 'ACTIVE' ORDER BY arn")
      .all(scope.accountId, scope.region) as unknown as Row[];
    return rows.map((r) => parseDoc<ClusterDoc>(r.doc));
  }
  putCluster(scope: Scope, c: ClusterDoc): void {
    let doc: string;
    this.store
      .prepare(
        `INSERT INTO ecs_clusters (account, region, name, arn, status, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, name) DO UPDATE SET arn = excluded.arn, status = excluded.status, doc = excluded.doc`,
      )
      .run(scope.accountId, scope.region, c.clusterName, c.clusterArn, c.status, (doc = JSON.stringify(c)));
    this.#cache.clusters.set(`${scope.accountId}\0${scope.region}\0${c.clusterName}`, { doc });
  }

  // ---- services
  getService(scope: Scope, cluster: string, name: string): ServiceRecord | undefined {
    const row = this.#serviceRow(scope, cluster, name);
    return row ? { doc: parseDoc<ServiceDoc>(row.doc), state: parseDoc<ServiceState>(row.state) } : undefined;
  }
  /**
   * The service's API document alone, for reads that answer with it (DescribeServices): the
   * state, whose deployment history grows with every deployment, is not parsed.
   */
  getServiceDoc(scope: Scope, cluster: string, name: string): ServiceDoc | undefined {
    const row = this.#serviceRow(scope, cluster, name);
    return row ? parseDoc<ServiceDoc>(row.doc) : undefined;
  }
  #serviceRow(scope: Scope, cluster: string, name: string): StatefulRow | undefined {
    const key = `${scope.accountId}\0${scope.region}\0${cluster}\0${name}`;
    let row = this.#cache.services.get(key);
    if (!row) {
      row = this.store
        .prepare("SELECT doc, state FROM ecs_services WHERE account = ? AND region = ? AND cluster = ? AND name = ?")
        .get(scope.accountId, scope.region, cluster, name) as StatefulRow | undefined;
      if (row) this.#cache.services.set(key, { doc: row.doc, state: row.state });
    }
    return row;
  }
  getServiceByArn(arn: string): (ServiceRecord & Located) | undefined {
    const row = this.store
      .prepare("SELECT account, region, cluster, doc, state FROM ecs_services WHERE arn = ?")
      .get(arn) as (StatefulRow & { account: string; region: string; cluster: string }) | undefined;
    if (!row) return undefined;
    return {
      doc: parseDoc<ServiceDoc>(row.doc),
      state: parseDoc<ServiceState>(row.state),
      scope: { accountId: row.account, region: row.region },
      cluster: row.cluster,
    };
  }
  listServices(scope: Scope, cluster: string, statuses: readonly string[]): ServiceDoc[] {
    const rows = this.store
      .prepare(
        `SELECT doc FROM ecs_services WHERE account = ? AND region = ? AND cluster = ?
         AND status IN (${statuses.map(() => "?").join(",")}) ORDER BY arn`,
      )
      .all(scope.accountId, scope.region, cluster, ...statuses) as unknown as Row[];
    return rows.map((r) => parseDoc<ServiceDoc>(r.doc));
  }
  countServices(scope: Scope, cluster: string, statuses: readonly string[]): number {
    const row = this.store
      .prepare(
        `SELECT COUNT(*) AS n FROM ecs_services WHERE account = ? AND region = ? AND cluster = ?
         AND status IN (${statuses.map(() => "?").join(",")})`,
      )
      .get(scope.accountId, scope.region, cluster, ...statuses) as { n: number };
    return row.n;
  }
  /** Live services whose loadBalancers name a target group. */
  serviceArnsUsingTargetGroup(targetGroupArn: string): string[] {
    const rows = this.store
      .prepare(
        `SELECT s.arn FROM ecs_services s, json_each(json_extract(s.doc, '$.loadBalancers')) AS l
         WHERE s.status != 'INACTIVE' AND json_extract(l.value, '$.targetGroupArn') = ?`,
      )
      .all(targetGroupArn) as { arn: string }[];
    return rows.map((r) => r.arn);
  }
  /** ARNs of services the scheduler must look after (anything not yet INACTIVE). */
  liveServiceArns(): string[] {
    const rows = this.store.prepare("SELECT arn FROM ecs_services WHERE status != 'INACTIVE'").all() as {
      arn: string;
    }[];
    return rows.map((r) => r.arn);
  }
  putService(scope: Scope, cluster: string, rec: ServiceRecord): void {
    const s = rec.doc;
    const doc = JSON.stringify(s);
    const state = JSON.stringify(rec.state);
    this.store
      .prepare(
        `INSERT INTO ecs_services (account, region, cluster, name, arn, status, created_at, doc, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, cluster, name) DO UPDATE SET arn = excluded.arn, status = excluded.status,
           created_at = excluded.created_at, doc = excluded.doc, state = excluded.state`,
      )
      .run(
        scope.accountId,
        scope.region,
        cluster,
        s.serviceName,
        s.serviceArn,
        s.status,
        s.createdAt.getTime(),
        doc,
        state,
      );
    this.#cache.services.set(`${scope.accountId}\0${scope.region}\0${cluster}\0${s.serviceName}`, { doc, state });
    this.store.changed(`service:${s.serviceArn}`);
  }

  // ---- tasks
  getTask(scope: Scope, cluster: string, id: string): TaskRecord | undefined {
    const row = this.store
      .prepare("SELECT doc, state FROM ecs_tasks WHERE account = ? AND region = ? AND cluster = ? AND id = ?")
      .get(scope.accountId, scope.region, cluster, id) as StatefulRow | undefined;
    return row ? { doc: parseDoc<TaskDoc>(row.doc), state: parseDoc<TaskState>(row.state) } : undefined;
  }
  getTaskByArn(arn: string): (TaskRecord & Located) | undefined {
    const row = this.store.prepare("SELECT account, region, cluster, doc, state FROM ecs_tasks WHERE arn = ?").get(arn) as
      | (StatefulRow & { account: string; region: string; cluster: string })
      | undefined;
    if (!row) return undefined;
    return {
      doc: parseDoc<TaskDoc>(row.doc),
      state: parseDoc<TaskState>(row.state),
      scope: { accountId: row.account, region: row.region },
      cluster: row.cluster,
    };
  }
  /** Tasks of a service; stopped ones only when stopped after `stoppedSince` (ms). */
  serviceTasks(scope: Scope, cluster: string, service: string, stoppedSince = Number.POSITIVE_INFINITY): TaskRecord[] {
    const rows = this.store
      .prepare(
        `SELECT doc, state FROM ecs_tasks WHERE account = ? AND region = ? AND cluster = ? AND service = ?
         AND (last_status != 'STOPPED' OR stopped_at >= ?) ORDER BY created_at, id`,
      )
      .all(scope.accountId, scope.region, cluster, service, stoppedSince) as unknown as StatefulRow[];
    return rows.map((r) => ({ doc: parseDoc<TaskDoc>(r.doc), state: parseDoc<TaskState>(r.state) }));
  }
  queryTasks(scope: Scope, cluster: string, f: TaskFilter): TaskDoc[] {
    return this.#taskQuery("doc", scope, cluster, f).map((r) => parseDoc<TaskDoc>(r.doc!));
  }
  /** queryTasks' ARNs alone, in the same order: ListTasks needs no more, and parses no document. */
  queryTaskArns(scope: Scope, cluster: string, f: TaskFilter): string[] {
    return this.#taskQuery("arn", scope, cluster, f).map((r) => r.arn!);
  }
  #taskQuery(column: "doc" | "arn", scope: Scope, cluster: string, f: TaskFilter): { doc?: string; arn?: string }[] {
    const where = ["account = ?", "region = ?", "cluster = ?", "desired_status = ?"];
    const args: (string | number)[] = [scope.accountId, scope.region, cluster, f.desiredStatus];
    const add = (col: string, v: string | undefined) => {
      if (v === undefined) return;
      where.push(`${col} = ?`);
      args.push(v);
    };
    add("family", f.family);
    add("service", f.service);
    add("started_by", f.startedBy);
    add("launch_type", f.launchType);
    add("container_instance", f.containerInstance);
    return this.store.prepare(`SELECT ${column} FROM ecs_tasks WHERE ${where.join(" AND ")} ORDER BY arn`).all(...args) as { doc?: string; arn?: string }[];
  }
  /** Tasks the scheduler must look after: not yet STOPPED, or STOPPED with containers to clean. */
  liveTaskArns(): string[] {
    const rows = this.store.prepare("SELECT arn FROM ecs_tasks WHERE last_status != 'STOPPED'").all() as {
      arn: string;
    }[];
    return rows.map((r) => r.arn);
  }
  /**
   * What every non-stopped task on this host reserves, across accounts (the host's real capacity
   * is shared); with a container instance, only that instance's tasks.
   */
  hostUsage(containerInstanceArn?: string): { cpu: number; memoryMiB: number; ports: Set<number>; running: number; pending: number } {
    const ledger = this.#loadLedger();
    if (containerInstanceArn === undefined) {
      let running = 0;
      let pending = 0;
      for (const r of ledger.values()) {
        if (r.status === "RUNNING") running++;
        else if (r.status === "PROVISIONING" || r.status === "PENDING" || r.status === "ACTIVATING") pending++;
      }
      return { cpu: this.#cpu, memoryMiB: this.#memoryMiB, ports: new Set(this.#ports.keys()), running, pending };
    }
    const out = { cpu: 0, memoryMiB: 0, ports: new Set<number>(), running: 0, pending: 0 };
    for (const r of ledger.values()) {
      if (r.containerInstance !== containerInstanceArn) continue;
      out.cpu += r.cpu;
      out.memoryMiB += r.memoryMiB;
      for (const p of r.ports) out.ports.add(p);
      if (r.status === "RUNNING") out.running++;
      else if (r.status === "PROVISIONING" || r.status === "PENDING" || r.status === "ACTIVATING") out.pending++;
    }
    return out;
  }

  #loadLedger(): Map<string, Reservation> {
    if (this.#ledger) return this.#ledger;
    const ledger = new Map<string, Reservation>();
    this.#ledger = ledger;
    this.#cpu = 0;
    this.#memoryMiB = 0;
    this.#ports = new Map();
    const rows = this.store
      .prepare("SELECT arn, container_instance, last_status, state FROM ecs_tasks WHERE last_status != 'STOPPED'")
      .all() as { arn: string; container_instance: string | null; last_status: string; state: string }[];
    for (const r of rows) {
      const st = JSON.parse(r.state) as TaskState;
      this.#reserve(ledger, r.arn, {
        cpu: st.cpu,
        memoryMiB: st.memoryMiB,
        ports: st.hostPorts,
        containerInstance: r.container_instance ?? undefined,
        status: r.last_status,
      });
    }
    return ledger;
  }

  /** Replaces a task's reservation (undefined releases it) and keeps the totals in step. */
  #reserve(ledger: Map<string, Reservation>, arn: string, next: Reservation | undefined): void {
    const prev = ledger.get(arn);
    if (prev) {
      this.#cpu -= prev.cpu;
      this.#memoryMiB -= prev.memoryMiB;
      for (const p of prev.ports) {
        const n = (this.#ports.get(p) ?? 1) - 1;
        if (n <= 0) this.#ports.delete(p);
        else this.#ports.set(p, n);
      }
      ledger.delete(arn);
    }
    if (next) {
      this.#cpu += next.cpu;
      this.#memoryMiB += next.memoryMiB;
      for (const p of next.ports) this.#ports.set(p, (this.#ports.get(p) ?? 0) + 1);
      ledger.set(arn, next);
    }
  }
  /** RUNNING and pending task counts of a service, per deployment id (no document parsing). */
  serviceTaskCounts(scope: Scope, cluster: string, service: string): TaskCounts {
    const key = `${scope.accountId}\0${scope.region}\0${cluster}\0${service}`;
    const cached = this.#cache.taskCounts.get(key);
    if (cached) return cached;
    const rows = this.store
      .prepare(
        `SELECT deployment, SUM(last_status = 'RUNNING') AS running,
                SUM(last_status IN ('PROVISIONING','PENDING','ACTIVATING')) AS pending
         FROM ecs_tasks WHERE account = ? AND region = ? AND cluster = ? AND service = ? AND last_status != 'STOPPED'
         GROUP BY deployment`,
      )
      .all(scope.accountId, scope.region, cluster, service) as { deployment: string | null; running: number; pending: number }[];
    const counts: TaskCounts = new Map(rows.map((r) => [r.deployment ?? "", Object.freeze({ running: r.running, pending: r.pending })]));
    this.#cache.taskCounts.set(key, counts);
    return counts;
  }
  /** Task counts of a cluster; `fargate*` are the FARGATE launch type's share of running and pending. */
  countTasks(scope: Scope, cluster: string): { running: number; pending: number; active: number; fargateRunning: number; fargatePending: number } {
    const row = this.store
      .prepare(
        `SELECT SUM(last_status = 'RUNNING') AS running,
                SUM(last_status IN ('PROVISIONING','PENDING','ACTIVATING')) AS pending,
                SUM(last_status != 'STOPPED') AS active,
                SUM(last_status = 'RUNNING' AND launch_type = 'FARGATE') AS fargate_running,
                SUM(last_status IN ('PROVISIONING','PENDING','ACTIVATING') AND launch_type = 'FARGATE') AS fargate_pending
         FROM ecs_tasks WHERE account = ? AND region = ? AND cluster = ?`,
      )
      .get(scope.accountId, scope.region, cluster) as Record<string, number | null>;
    return {
      running: row.running ?? 0,
      pending: row.pending ?? 0,
      active: row.active ?? 0,
      fargateRunning: row.fargate_running ?? 0,
      fargatePending: row.fargate_pending ?? 0,
    };
  }
  putTask(scope: Scope, cluster: string, rec: TaskRecord): void {
    const t = rec.doc;
    const id = shortName(t.taskArn);
    this.store
      .prepare(
        `INSERT INTO ecs_tasks (account, region, cluster, id, arn, service, deployment, family, started_by, launch_type,
           container_instance, desired_status, last_status, created_at, stopped_at, doc, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, cluster, id) DO UPDATE SET desired_status = excluded.desired_status,
           last_status = excluded.last_status, stopped_at = excluded.stopped_at, doc = excluded.doc, state = excluded.state`,
      )
      .run(
        scope.accountId,
        scope.region,
        cluster,
        id,
        t.taskArn,
        rec.state.serviceName ?? null,
        rec.state.deploymentId ?? null,
        rec.state.family,
        t.startedBy ?? null,
        t.launchType ?? null,
        t.containerInstanceArn ?? null,
        t.desiredStatus,
        t.lastStatus,
        t.createdAt.getTime(),
        t.stoppedAt ? t.stoppedAt.getTime() : null,
        JSON.stringify(t),
        JSON.stringify(rec.state),
      );
    if (this.#ledger) {
      this.#reserve(
        this.#ledger,
        t.taskArn,
        t.lastStatus === "STOPPED"
          ? undefined
          : { cpu: rec.state.cpu, memoryMiB: rec.state.memoryMiB, ports: rec.state.hostPorts, containerInstance: t.containerInstanceArn, status: t.lastStatus },
      );
    }
    // The counts of the task's service may have changed (its service and deployment never do:
    // the upsert above leaves them as inserted).
    if (rec.state.serviceName !== undefined) this.#cache.taskCounts.delete(`${scope.accountId}\0${scope.region}\0${cluster}\0${rec.state.serviceName}`);
    this.store.changed(`task:${t.taskArn}`);
    if (rec.state.serviceArn) this.store.changed(`service:${rec.state.serviceArn}`);
  }
  /** Drops STOPPED tasks older than `before` (ms); AWS keeps them visible for at least an hour. */
  purgeStoppedTasks(before: number): void {
    this.store.prepare("DELETE FROM ecs_tasks WHERE last_status = 'STOPPED' AND stopped_at < ?").run(before);
  }

  // ---- container instances (one per cluster: the Docker host)
  getContainerInstance(scope: Scope, cluster: string): ContainerInstanceDoc | undefined {
    const row = this.store
      .prepare("SELECT doc FROM ecs_container_instances WHERE account = ? AND region = ? AND cluster = ?")
      .get(scope.accountId, scope.region, cluster) as Row | undefined;
    return row ? parseDoc<ContainerInstanceDoc>(row.doc) : undefined;
  }
  /** The EC2 instance ids of a scope's container instances (what EC2's AttachNetworkInterface may name). */
  containerInstanceIds(scope: Scope): string[] {
    const rows = this.store
      .prepare("SELECT doc FROM ecs_container_instances WHERE account = ? AND region = ?")
      .all(scope.accountId, scope.region) as unknown as Row[];
    return rows.map((r) => parseDoc<ContainerInstanceDoc>(r.doc).ec2InstanceId).filter((id): id is string => Boolean(id));
  }
  putContainerInstance(scope: Scope, cluster: string, ci: ContainerInstanceDoc): void {
    const id = shortName(ci.containerInstanceArn);
    this.store
      .prepare(
        `INSERT INTO ecs_container_instances (account, region, cluster, id, arn, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, cluster, id) DO UPDATE SET doc = excluded.doc`,
      )
      .run(scope.accountId, scope.region, cluster, id, ci.containerInstanceArn, JSON.stringify(ci));
  }

  // ---- task definitions: one row per revision; ecs_families keeps each family's last revision
  // number, so revisions are never reused, even after deletion.
  getTaskDefinition(scope: Scope, family: string, revision: number): TaskDefinitionRow | undefined {
    const row = this.store
      .prepare("SELECT family, revision, arn, status, doc FROM ecs_task_definitions WHERE account = ? AND region = ? AND family = ? AND revision = ?")
      .get(scope.accountId, scope.region, family, revision) as StoredTaskDefinition | undefined;
    return row ? taskDefinitionRow(row) : undefined;
  }
  /** The family's highest ACTIVE revision. */
  latestActiveTaskDefinition(scope: Scope, family: string): TaskDefinitionRow | undefined {
    const row = this.store
      .prepare(
        "SELECT family, revision, arn, status, doc FROM ecs_task_definitions WHERE account = ? AND region = ? AND family = ? AND status = 'ACTIVE' ORDER BY revision DESC LIMIT 1",
      )
      .get(scope.accountId, scope.region, family) as StoredTaskDefinition | undefined;
    return row ? taskDefinitionRow(row) : undefined;
  }
  getTaskDefinitionByArn(arn: string): TaskDefinitionDoc | undefined {
    const row = this.store.prepare("SELECT doc FROM ecs_task_definitions WHERE arn = ?").get(arn) as { doc: string } | undefined;
    return row ? reviveTaskDefinition(row.doc) : undefined;
  }
  /** Takes the family's next revision number (inside the caller's transaction). */
  nextRevision(scope: Scope, family: string): number {
    const fam = this.store
      .prepare("SELECT last_revision FROM ecs_families WHERE account = ? AND region = ? AND family = ?")
      .get(scope.accountId, scope.region, family) as { last_revision: number } | undefined;
    const revision = (fam?.last_revision ?? 0) + 1;
    this.store
      .prepare(
        "INSERT INTO ecs_families (account, region, family, last_revision) VALUES (?, ?, ?, ?) ON CONFLICT (account, region, family) DO UPDATE SET last_revision = excluded.last_revision",
      )
      .run(scope.accountId, scope.region, family, revision);
    return revision;
  }
  insertTaskDefinition(scope: Scope, td: TaskDefinitionDoc): void {
    this.store
      .prepare("INSERT INTO ecs_task_definitions (account, region, family, revision, arn, status, doc) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(scope.accountId, scope.region, td.family, td.revision, td.taskDefinitionArn, td.status, JSON.stringify(td));
    this.store.changed(`task-definition:${td.taskDefinitionArn}`);
  }
  /** Saves a revision's new status and document. */
  updateTaskDefinition(td: TaskDefinitionDoc): void {
    this.store.prepare("UPDATE ecs_task_definitions SET status = ?, doc = ? WHERE arn = ?").run(td.status, JSON.stringify(td), td.taskDefinitionArn);
    this.store.changed(`task-definition:${td.taskDefinitionArn}`);
  }
  /**
   * Revision ARNs in (family, revision) order, ascending or descending, starting after the
   * (family, revision) key `after`; at most `limit` rows.
   */
  listTaskDefinitionArns(
    scope: Scope,
    q: { status: TaskDefinitionStatus; familyPrefix?: string | undefined; sort: "ASC" | "DESC"; after?: readonly [string, number] | undefined; limit: number },
  ): { family: string; revision: number; arn: string }[] {
    const where = ["account = ?", "region = ?", "status = ?"];
    const params: (string | number)[] = [scope.accountId, scope.region, q.status];
    if (q.familyPrefix) {
      where.push("substr(family, 1, ?) = ?");
      params.push(q.familyPrefix.length, q.familyPrefix);
    }
    if (q.after) {
      where.push(q.sort === "ASC" ? "(family > ? OR (family = ? AND revision > ?))" : "(family < ? OR (family = ? AND revision < ?))");
      params.push(q.after[0], q.after[0], q.after[1]);
    }
    const dir = q.sort === "ASC" ? "ASC" : "DESC";
    return this.store
      .prepare(`SELECT family, revision, arn FROM ecs_task_definitions WHERE ${where.join(" AND ")} ORDER BY family ${dir}, revision ${dir} LIMIT ?`)
      .all(...params, q.limit) as unknown as { family: string; revision: number; arn: string }[];
  }
  /**
   * Family names in order after `after`: those with an ACTIVE revision, those without, or all;
   * at most `limit`.
   */
  listTaskDefinitionFamilies(
    scope: Scope,
    q: { status: "ACTIVE" | "INACTIVE" | "ALL"; familyPrefix?: string | undefined; after?: string | undefined; limit: number },
  ): string[] {
    const where = ["f.account = ?", "f.region = ?"];
    const params: (string | number)[] = [scope.accountId, scope.region];
    const hasActive =
      "EXISTS (SELECT 1 FROM ecs_task_definitions t WHERE t.account = f.account AND t.region = f.region AND t.family = f.family AND t.status = 'ACTIVE')";
    if (q.status === "ACTIVE") where.push(hasActive);
    else if (q.status === "INACTIVE") where.push(`NOT ${hasActive}`);
    if (q.familyPrefix) {
      where.push("substr(f.family, 1, ?) = ?");
      params.push(q.familyPrefix.length, q.familyPrefix);
    }
    if (q.after !== undefined) {
      where.push("f.family > ?");
      params.push(q.after);
    }
    const rows = this.store
      .prepare(`SELECT f.family AS family FROM ecs_families f WHERE ${where.join(" AND ")} ORDER BY f.family ASC LIMIT ?`)
      .all(...params, q.limit) as unknown as { family: string }[];
    return rows.map((r) => r.family);
  }
  /** Deletes a DELETE_IN_PROGRESS revision; false when there is none with that ARN. */
  deleteTaskDefinition(arn: string): boolean {
    const res = this.store.prepare("DELETE FROM ecs_task_definitions WHERE arn = ? AND status = 'DELETE_IN_PROGRESS'").run(arn);
    if (Number(res.changes) === 0) return false;
    this.store.changed(`task-definition:${arn}`);
    return true;
  }

  // ---- account settings
  getAccountSettings(scope: Scope): { principal: string; name: string; value: string }[] {
    return this.store
      .prepare("SELECT principal, name, value FROM ecs_account_settings WHERE account = ? AND region = ? ORDER BY name")
      .all(scope.accountId, scope.region) as unknown as { principal: string; name: string; value: string }[];
  }
  putAccountSetting(scope: Scope, principal: string, name: string, value: string): void {
    this.store
      .prepare(
        `INSERT INTO ecs_account_settings (account, region, principal, name, value) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account, region, principal, name) DO UPDATE SET value = excluded.value`,
      )
      .run(scope.accountId, scope.region, principal, name, value);
  }
}

interface StoredTaskDefinition {
  family: string;
  revision: number;
  arn: string;
  status: TaskDefinitionStatus;
  doc: string;
}

function taskDefinitionRow(row: StoredTaskDefinition): TaskDefinitionRow {
  return { family: row.family, revision: row.revision, arn: row.arn, status: row.status, doc: reviveTaskDefinition(row.doc) };
}

/** A task definition document: its own three timestamps are Dates (nothing nested is revived). */
function reviveTaskDefinition(doc: string): TaskDefinitionDoc {
  const td = JSON.parse(doc) as TaskDefinitionDoc & Record<string, unknown>;
  for (const k of ["registeredAt", "deregisteredAt", "deleteRequestedAt"] as const) {
    const v = td[k] as unknown;
    if (typeof v === "string" || typeof v === "number") td[k] = new Date(v);
  }
  return td;
}
