import type { LeftRunning } from "../server/slipway.ts";

/** What `slipway up` says when it stops: what keeps running, and how to remove it. */
export function shutdownSummary(left: LeftRunning, dataDir: string): string {
  if (left.tasks.length === 0 && left.containers === 0) return "Slipway stopped. Nothing is left running.";
  const byCluster = new Map<string, Map<string, number>>();
  for (const t of left.tasks) {
    const services = byCluster.get(t.cluster) ?? new Map<string, number>();
    services.set(t.service, (services.get(t.service) ?? 0) + 1);
    byCluster.set(t.cluster, services);
  }
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const lines = [`Slipway stopped. Left running: ${plural(left.tasks.length, "task")}, ${plural(left.containers, "container")}.`];
  for (const [cluster, services] of [...byCluster].sort(([a], [b]) => a.localeCompare(b))) {
    const parts = [...services].sort(([a], [b]) => a.localeCompare(b)).map(([svc, n]) => (svc ? `service ${svc}: ${plural(n, "task")}` : `${plural(n, "standalone task")}`));
    lines.push(`  cluster ${cluster}: ${parts.join(", ")}`);
  }
  lines.push(
    `Their containers keep running (docker ps --filter label=${left.instanceLabel}); load balancer listeners stopped with Slipway.`,
    `Run \`slipway up --data-dir ${dataDir}\` again to adopt them, or \`slipway clean --data-dir ${dataDir}\` to remove them and the data directory (--keep-data keeps it).`,
  );
  return lines.join("\n");
}
