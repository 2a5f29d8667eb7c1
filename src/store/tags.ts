import type { Store } from "./store.ts";

export interface Tag {
  key: string;
  value: string;
}

/** Tags of any resource, keyed by ARN, kept in the order they were first set. */
export function getTags(store: Store, arn: string): Tag[] {
  const rows = store.prepare("SELECT key, value FROM tags WHERE arn = ? ORDER BY position").all(arn) as unknown as Tag[];
  return rows.map((r) => ({ key: r.key, value: r.value }));
}

export function setTags(store: Store, arn: string, tags: readonly Tag[]): void {
  store.tx(() => {
    const max = store.prepare("SELECT COALESCE(MAX(position), 0) AS p FROM tags WHERE arn = ?").get(arn) as { p: number };
    let position = max.p;
    const upsert = store.prepare(
      "INSERT INTO tags (arn, key, value, position) VALUES (?, ?, ?, ?) ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
    );
    for (const t of tags) upsert.run(arn, t.key, t.value, ++position);
  });
}

export function removeTags(store: Store, arn: string, keys: readonly string[]): void {
  const del = store.prepare("DELETE FROM tags WHERE arn = ? AND key = ?");
  store.tx(() => {
    for (const k of keys) del.run(arn, k);
  });
}

export function deleteAllTags(store: Store, arn: string): void {
  store.prepare("DELETE FROM tags WHERE arn = ?").run(arn);
}
