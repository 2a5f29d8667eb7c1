import assert from "node:assert/strict";
import { test } from "node:test";
import { Store } from "../../store/store.ts";
import type { ClusterDoc, ServiceDoc, TaskDoc } from "./model.ts";
import { EcsRepo, ROW_CACHE_CHARS, ROW_CACHE_LIMIT, rowCacheSizes, type TaskRecord } from "./repo.ts";

const scope = { accountId: "000000000000", region: "us-east-1" };

function cluster(name: string, status = "ACTIVE"): ClusterDoc {
  return { clusterName: name, clusterArn: `arn:aws:ecs:us-east-1:000000000000:cluster/${name}`, status } as ClusterDoc;
}

function service(name: string, desiredCount: number): ServiceDoc {
  return {
    serviceName: name,
    serviceArn: `arn:aws:ecs:us-east-1:000000000000:service/c1/${name}`,
    status: "ACTIVE",
    desiredCount,
    createdAt: new Date("2026-12-07T00:00:00Z"),
  } as ServiceDoc;
}

test("the row cache: a write is read back, through another EcsRepo on the same store too", () => {
  const store = new Store(":memory:");
  const a = new EcsRepo(store);
  const b = new EcsRepo(store);
  a.putCluster(scope, cluster("c1"));
  assert.equal(b.getCluster(scope, "c1")?.status, "ACTIVE");
  b.putCluster(scope, cluster("c1", "INACTIVE"));
  assert.equal(a.getCluster(scope, "c1")?.status, "INACTIVE");
  a.putService(scope, "c1", { doc: service("web", 1), state: { history: [], steady: false } });
  assert.equal(b.getService(scope, "c1", "web")?.doc.desiredCount, 1);
  b.putService(scope, "c1", { doc: service("web", 3), state: { history: [], steady: true } });
  const read = a.getService(scope, "c1", "web")!;
  assert.equal(read.doc.desiredCount, 3);
  assert.equal(read.state.steady, true);
  assert.ok(read.doc.createdAt instanceof Date, "dates are revived on every read");
  // getServiceDoc answers the same document from the same cached row, without the state.
  assert.deepEqual(b.getServiceDoc(scope, "c1", "web"), read.doc);
  assert.notEqual(b.getServiceDoc(scope, "c1", "web"), b.getServiceDoc(scope, "c1", "web"), "a fresh object per read");
  assert.equal(a.getServiceDoc(scope, "c1", "missing"), undefined);
  // What the cache answers is what SQLite holds.
  const row = store.prepare("SELECT doc FROM ecs_services WHERE name = 'web'").get() as { doc: string };
  assert.equal(JSON.parse(row.doc).desiredCount, 3);
});

test("the row cache: each read is a fresh object; changing one changes nothing stored", () => {
  const repo = new EcsRepo(new Store(":memory:"));
  repo.putCluster(scope, cluster("c1"));
  const first = repo.getCluster(scope, "c1")!;
  first.status = "CHANGED";
  assert.equal(repo.getCluster(scope, "c1")?.status, "ACTIVE");
  repo.putService(scope, "c1", { doc: service("web", 1), state: { history: [], steady: false } });
  const rec = repo.getService(scope, "c1", "web")!;
  rec.doc.desiredCount = 99;
  rec.state.steady = true;
  const again = repo.getService(scope, "c1", "web")!;
  assert.equal(again.doc.desiredCount, 1);
  assert.equal(again.state.steady, false);
});

test("the row cache: a write in a transaction that rolls back is forgotten", () => {
  const store = new Store(":memory:");
  const repo = new EcsRepo(store);
  repo.putCluster(scope, cluster("c1"));
  repo.putService(scope, "c1", { doc: service("web", 1), state: { history: [], steady: false } });
  assert.equal(repo.getCluster(scope, "c1")?.status, "ACTIVE"); // cached
  assert.throws(
    () =>
      store.tx(() => {
        repo.putCluster(scope, cluster("c1", "INACTIVE"));
        repo.putCluster(scope, cluster("c2"));
        repo.putService(scope, "c1", { doc: service("web", 5), state: { history: [], steady: true } });
        // Inside the transaction its own writes are what a read sees, as in SQLite.
        assert.equal(repo.getCluster(scope, "c1")?.status, "INACTIVE");
        assert.equal(repo.getService(scope, "c1", "web")?.doc.desiredCount, 5);
        throw new Error("abort");
      }),
    /abort/,
  );
  assert.equal(repo.getCluster(scope, "c1")?.status, "ACTIVE");
  assert.equal(repo.getCluster(scope, "c2"), undefined);
  assert.equal(repo.getService(scope, "c1", "web")?.doc.desiredCount, 1);
});

test("the row cache: a statement that fails leaves the cache as the table is", () => {
  const store = new Store(":memory:");
  const repo = new EcsRepo(store);
  repo.putCluster(scope, cluster("c1"));
  // Same ARN under another name: the UNIQUE constraint refuses the insert.
  const clash = { ...cluster("c1"), clusterName: "other" };
  assert.throws(() => repo.putCluster(scope, clash), /UNIQUE/);
  assert.equal(repo.getCluster(scope, "other"), undefined);
});

test(`the row cache holds at most ${ROW_CACHE_LIMIT} rows per table, misses are not cached, and evicted rows are read from SQLite`, () => {
  const store = new Store(":memory:");
  const repo = new EcsRepo(store);
  const n = ROW_CACHE_LIMIT + 100;
  store.tx(() => {
    for (let i = 0; i < n; i++) repo.putCluster(scope, cluster(`c${i}`));
  });
  assert.equal(rowCacheSizes(store).clusters, ROW_CACHE_LIMIT);
  for (let i = 0; i < n; i++) assert.equal(repo.getCluster(scope, `c${i}`)?.clusterName, `c${i}`);
  assert.equal(rowCacheSizes(store).clusters, ROW_CACHE_LIMIT);
  for (let i = 0; i < 5000; i++) assert.equal(repo.getCluster(scope, `missing-${i}`), undefined);
  assert.equal(rowCacheSizes(store).clusters, ROW_CACHE_LIMIT);
  assert.equal(rowCacheSizes(store).services, 0);
});

test("the row cache holds at most ROW_CACHE_CHARS of text per table: big rows push older ones out", () => {
  const store = new Store(":memory:");
  const repo = new EcsRepo(store);
  const events = Array.from({ length: 100 }, (_, i) => ({ id: `e${i}`, message: "x".repeat(1000) }));
  const big = (name: string) => ({ ...service(name, 1), events }) as unknown as ServiceDoc;
  const perRow = JSON.stringify(big("s0")).length;
  const n = Math.ceil(ROW_CACHE_CHARS / perRow) + 10;
  for (let i = 0; i < n; i++) repo.putService(scope, "c1", { doc: big(`s${i}`), state: { history: [], steady: false } });
  const sizes = rowCacheSizes(store);
  assert.ok(sizes.serviceChars <= ROW_CACHE_CHARS, `${sizes.serviceChars} chars cached`);
  assert.ok(sizes.services < n, "older rows were dropped");
  assert.ok(sizes.services > 0);
  // A row pushed out is still read whole from SQLite, and a re-read caches it again.
  assert.equal(repo.getService(scope, "c1", "s0")?.doc.events?.length, 100);
  assert.ok(rowCacheSizes(store).serviceChars <= ROW_CACHE_CHARS);
  // Rewriting a row replaces its text in the count rather than adding to it.
  const before = rowCacheSizes(store).serviceChars;
  repo.putService(scope, "c1", { doc: big(`s${n - 1}`), state: { history: [], steady: false } });
  assert.equal(rowCacheSizes(store).serviceChars, before);
});

function task(id: string, serviceName: string, deploymentId: string, lastStatus: string): TaskRecord {
  return {
    doc: {
      taskArn: `arn:aws:ecs:us-east-1:000000000000:task/c1/${id}`,
      lastStatus,
      desiredStatus: lastStatus === "STOPPED" ? "STOPPED" : "RUNNING",
      launchType: "EC2",
      createdAt: new Date("2026-12-07T00:00:00Z"),
      stoppedAt: lastStatus === "STOPPED" ? new Date("2026-12-07T00:01:00Z") : undefined,
    } as TaskDoc,
    state: { family: "web", serviceName, deploymentId, networkMode: "bridge", cpu: 0, memoryMiB: 0, hostPorts: [], containers: [], hasHealthChecks: false },
  };
}

/** serviceTaskCounts straight from SQLite, bypassing the cache: what the cached answer must equal. */
function countsInTable(store: Store, service: string): Record<string, { running: number; pending: number }> {
  const rows = store
    .prepare(
      `SELECT deployment, SUM(last_status = 'RUNNING') AS running, SUM(last_status IN ('PROVISIONING','PENDING','ACTIVATING')) AS pending
       FROM ecs_tasks WHERE service = ? AND last_status != 'STOPPED' GROUP BY deployment`,
    )
    .all(service) as { deployment: string; running: number; pending: number }[];
  return Object.fromEntries(rows.map((r) => [r.deployment, { running: r.running, pending: r.pending }]));
}
const plain = (m: ReadonlyMap<string, { running: number; pending: number }>) => Object.fromEntries([...m].map(([k, v]) => [k, { ...v }]));

test("serviceTaskCounts is cached per service and follows every putTask, through another EcsRepo too", () => {
  const store = new Store(":memory:");
  const a = new EcsRepo(store);
  const b = new EcsRepo(store);
  assert.deepEqual(plain(a.serviceTaskCounts(scope, "c1", "web")), {});
  a.putTask(scope, "c1", task("t1", "web", "d1", "PENDING"));
  assert.deepEqual(plain(b.serviceTaskCounts(scope, "c1", "web")), { d1: { running: 0, pending: 1 } });
  b.putTask(scope, "c1", task("t1", "web", "d1", "RUNNING"));
  b.putTask(scope, "c1", task("t2", "web", "d2", "PROVISIONING"));
  a.putTask(scope, "c1", task("t3", "api", "d9", "RUNNING"));
  assert.deepEqual(plain(a.serviceTaskCounts(scope, "c1", "web")), { d1: { running: 1, pending: 0 }, d2: { running: 0, pending: 1 } });
  assert.deepEqual(plain(a.serviceTaskCounts(scope, "c1", "web")), countsInTable(store, "web"));
  assert.equal(rowCacheSizes(store).taskCounts, 1, "the answer is cached");
  assert.deepEqual(plain(a.serviceTaskCounts(scope, "c1", "api")), countsInTable(store, "api"));
  a.putTask(scope, "c1", task("t1", "web", "d1", "STOPPED"));
  assert.deepEqual(plain(b.serviceTaskCounts(scope, "c1", "web")), { d2: { running: 0, pending: 1 } });
  assert.deepEqual(plain(b.serviceTaskCounts(scope, "c1", "web")), countsInTable(store, "web"));
  // Purging STOPPED rows changes no count; the cached answer still equals the table's.
  a.purgeStoppedTasks(Date.parse("2026-12-08T00:00:00Z"));
  assert.deepEqual(plain(a.serviceTaskCounts(scope, "c1", "web")), countsInTable(store, "web"));
  // Another cluster's service of the same name is another key.
  assert.deepEqual(plain(a.serviceTaskCounts(scope, "c2", "web")), {});
});

test("serviceTaskCounts: a putTask in a transaction that rolls back is forgotten", () => {
  const store = new Store(":memory:");
  const repo = new EcsRepo(store);
  repo.putTask(scope, "c1", task("t1", "web", "d1", "RUNNING"));
  assert.deepEqual(plain(repo.serviceTaskCounts(scope, "c1", "web")), { d1: { running: 1, pending: 0 } });
  assert.throws(
    () =>
      store.tx(() => {
        repo.putTask(scope, "c1", task("t2", "web", "d1", "RUNNING"));
        assert.deepEqual(plain(repo.serviceTaskCounts(scope, "c1", "web")), { d1: { running: 2, pending: 0 } });
        throw new Error("abort");
      }),
    /abort/,
  );
  assert.deepEqual(plain(repo.serviceTaskCounts(scope, "c1", "web")), { d1: { running: 1, pending: 0 } });
});

test(`serviceTaskCounts keeps at most ${ROW_CACHE_LIMIT} services' answers`, () => {
  const store = new Store(":memory:");
  const repo = new EcsRepo(store);
  for (let i = 0; i < ROW_CACHE_LIMIT + 50; i++) repo.serviceTaskCounts(scope, "c1", `s${i}`);
  assert.equal(rowCacheSizes(store).taskCounts, ROW_CACHE_LIMIT);
});
