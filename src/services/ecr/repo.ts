/** The one ECR query RegistryMeta does not offer: every repository of every account and region. */
import type { Store } from "../../store/store.ts";

export function allRepositories(store: Store): { account: string; region: string; name: string }[] {
  const rows = store.prepare("SELECT account, region, name FROM registry_repositories ORDER BY account, region, name").all() as Record<string, unknown>[];
  return rows.map((r) => ({ account: String(r.account), region: String(r.region), name: String(r.name) }));
}

/** Whether the account has any repository in any region (Slipway hosts that account's registry). */
export function accountHasRepositories(store: Store, account: string): boolean {
  return store.prepare("SELECT 1 AS x FROM registry_repositories WHERE account = ? LIMIT 1").get(account) !== undefined;
}
