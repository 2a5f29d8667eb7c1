/**
 * RegistryMeta: all registry SQL (repositories, repository↔blob links, manifests, tags, manifest
 * references, upload sessions). The registry handlers and, through ecr-port.ts, the ECR API use
 * it; it knows nothing of HTTP. Every row is scoped by (account, region, repository) except the
 * global, content-addressed registry_blobs.
 */
import type { SQLInputValue } from "node:sqlite";
import type { Scope } from "../core/arn.ts";
import type { Clock } from "../core/clock.ts";
import type { Store } from "../store/store.ts";

export interface RepositoryRecord extends Scope {
  name: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Free-form JSON owned by the ECR API (tag mutability, scanning, encryption...). */
  doc: Record<string, unknown>;
}

export interface ManifestRecord {
  digest: string;
  mediaType: string;
  size: number;
  /** The manifest bytes exactly as pushed. */
  body: Buffer;
  pushedAt: number;
  configDigest: string | null;
  subjectDigest: string | null;
  artifactType: string | null;
  /** Sum of layer sizes (image) or of the children's image sizes (index). */
  imageSize: number;
}

export interface ImageRecord extends Omit<ManifestRecord, "body"> {
  tags: string[];
}

/** A reference from a manifest: a blob (config/layer) or a child manifest (index). */
export interface ManifestRef {
  kind: "config" | "layer" | "manifest";
  digest: string;
}

export interface NewManifest extends Omit<ManifestRecord, "pushedAt"> {
  refs: ManifestRef[];
}

export interface Page {
  n?: number;
  last?: string;
}

export interface UploadRecord extends Scope {
  uuid: string;
  repo: string;
  startedAt: number;
  /** When the session last received data (its start until then). */
  touchedAt: number;
}

type Row = Record<string, SQLInputValue>;

export class RegistryMeta {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  tx<T>(fn: () => T): T {
    return this.#store.tx(fn);
  }

  // ---- repositories ----------------------------------------------------------------------

  /** Creates the repository; `created` is false (and nothing changes) when it already exists. */
  createRepository(scope: Scope, name: string, doc: Record<string, unknown> = {}): { repository: RepositoryRecord; created: boolean } {
    return this.tx(() => {
      const existing = this.getRepository(scope, name);
      if (existing) return { repository: existing, created: false };
      this.#run(
        "INSERT INTO registry_repositories (account, region, name, created_at, doc) VALUES (?, ?, ?, ?, ?)",
        scope.accountId, scope.region, name, this.#clock.now(), JSON.stringify(doc),
      );
      this.#store.changed(`registry:${scope.accountId}:${scope.region}:${name}`);
      return { repository: this.getRepository(scope, name)!, created: true };
    });
  }

  getRepository(scope: Scope, name: string): RepositoryRecord | undefined {
    const r = this.#get("SELECT * FROM registry_repositories WHERE account = ? AND region = ? AND name = ?", scope.accountId, scope.region, name);
    return r ? toRepository(r) : undefined;
  }

  updateRepositoryDoc(scope: Scope, name: string, doc: Record<string, unknown>): boolean {
    return this.#run("UPDATE registry_repositories SET doc = ? WHERE account = ? AND region = ? AND name = ?", JSON.stringify(doc), scope.accountId, scope.region, name) > 0;
  }

  /** Sorted by name; `last` is exclusive (the catalog API's pagination). */
  listRepositories(scope: Scope, page: Page = {}): RepositoryRecord[] {
    const rows = this.#all(
      `SELECT * FROM registry_repositories WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?`,
      scope.accountId, scope.region, page.last ?? "", page.n ?? -1,
    );
    return rows.map(toRepository);
  }

  /** Every repository of every account and region (ECR's scheduled lifecycle run). */
  allRepositories(): RepositoryRecord[] {
    return this.#all("SELECT * FROM registry_repositories ORDER BY account, region, name").map(toRepository);
  }

  /** Whether the account has a repository in any region (Slipway then hosts that account's registry). */
  hasRepositories(accountId: string): boolean {
    return this.#get("SELECT 1 AS x FROM registry_repositories WHERE account = ? LIMIT 1", accountId) !== undefined;
  }

  /**
   * Deletes a repository with its manifests, tags and blob links (the blob files go at the next
   * garbage collection). Without `force`, a repository that still holds images is kept.
   */
  deleteRepository(scope: Scope, name: string, opts: { force?: boolean } = {}): "deleted" | "not-found" | "not-empty" {
    return this.tx(() => {
      if (!this.getRepository(scope, name)) return "not-found";
      if (!opts.force && this.#get("SELECT 1 AS x FROM registry_manifests WHERE account = ? AND region = ? AND repo = ? LIMIT 1", scope.accountId, scope.region, name)) {
        return "not-empty";
      }
      this.#run("DELETE FROM registry_repositories WHERE account = ? AND region = ? AND name = ?", scope.accountId, scope.region, name);
      this.#run("DELETE FROM registry_uploads WHERE account = ? AND region = ? AND repo = ?", scope.accountId, scope.region, name);
      this.#store.changed(`registry:${scope.accountId}:${scope.region}:${name}`);
      return "deleted";
    });
  }

  // ---- blobs -----------------------------------------------------------------------------

  /** The blob's size when it is linked into the repository, else undefined. */
  linkedBlob(scope: Scope, repo: string, digest: string): { size: number } | undefined {
    const r = this.#get(
      `SELECT b.size AS size FROM registry_repo_blobs l JOIN registry_blobs b ON b.digest = l.digest
       WHERE l.account = ? AND l.region = ? AND l.repo = ? AND l.digest = ?`,
      scope.accountId, scope.region, repo, digest,
    );
    return r ? { size: Number(r.size) } : undefined;
  }

  /** Records a blob that is in place on disk and links it into the repository. */
  linkBlob(scope: Scope, repo: string, digest: string, size: number): void {
    const now = this.#clock.now();
    this.tx(() => {
      this.#run("INSERT INTO registry_blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING", digest, size, now);
      this.#run(
        `INSERT INTO registry_repo_blobs (account, region, repo, digest, linked_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET linked_at = excluded.linked_at`,
        scope.accountId, scope.region, repo, digest, now,
      );
    });
  }

  unlinkBlob(scope: Scope, repo: string, digest: string): boolean {
    return this.#run("DELETE FROM registry_repo_blobs WHERE account = ? AND region = ? AND repo = ? AND digest = ?", scope.accountId, scope.region, repo, digest) > 0;
  }

  // ---- manifests and tags ----------------------------------------------------------------

  getManifest(scope: Scope, repo: string, digest: string): ManifestRecord | undefined {
    const r = this.#get("SELECT * FROM registry_manifests WHERE account = ? AND region = ? AND repo = ? AND digest = ?", scope.accountId, scope.region, repo, digest);
    return r ? toManifest(r) : undefined;
  }

  resolveTag(scope: Scope, repo: string, tag: string): string | undefined {
    const r = this.#get("SELECT digest FROM registry_tags WHERE account = ? AND region = ? AND repo = ? AND tag = ?", scope.accountId, scope.region, repo, tag);
    return r ? String(r.digest) : undefined;
  }

  /** Stores a manifest (idempotent for the same digest), its references, and points `tag` at it. */
  putManifest(scope: Scope, repo: string, m: NewManifest, tag?: string): void {
    const now = this.#clock.now();
    const key = [scope.accountId, scope.region, repo] as const;
    this.tx(() => {
      const inserted = this.#run(
        `INSERT INTO registry_manifests (account, region, repo, digest, media_type, size, body, pushed_at,
           config_digest, subject_digest, artifact_type, image_size)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        ...key, m.digest, m.mediaType, m.size, m.body, now, m.configDigest, m.subjectDigest, m.artifactType, m.imageSize,
      );
      if (inserted > 0) {
        const counters = new Map<string, number>();
        for (const ref of m.refs) {
          const pos = counters.get(ref.kind) ?? 0;
          counters.set(ref.kind, pos + 1);
          this.#run(
            `INSERT INTO registry_manifest_refs (account, region, repo, manifest_digest, kind, position, child_digest)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
            ...key, m.digest, ref.kind, pos, ref.digest,
          );
        }
      }
      if (tag !== undefined) {
        this.#run(
          `INSERT INTO registry_tags (account, region, repo, tag, digest, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
          ...key, tag, m.digest, now,
        );
      }
      this.#store.changed(`registry:${scope.accountId}:${scope.region}:${repo}`);
    });
  }

  /** Deletes a manifest and every tag pointing at it. */
  deleteManifest(scope: Scope, repo: string, digest: string): boolean {
    return this.tx(() => {
      const n = this.#run("DELETE FROM registry_manifests WHERE account = ? AND region = ? AND repo = ? AND digest = ?", scope.accountId, scope.region, repo, digest);
      if (n > 0) this.#store.changed(`registry:${scope.accountId}:${scope.region}:${repo}`);
      return n > 0;
    });
  }

  deleteTag(scope: Scope, repo: string, tag: string): boolean {
    return this.#run("DELETE FROM registry_tags WHERE account = ? AND region = ? AND repo = ? AND tag = ?", scope.accountId, scope.region, repo, tag) > 0;
  }

  /** Tags sorted lexically; `last` is exclusive. */
  listTags(scope: Scope, repo: string, page: Page = {}): string[] {
    return this.#all(
      "SELECT tag FROM registry_tags WHERE account = ? AND region = ? AND repo = ? AND tag > ? ORDER BY tag LIMIT ?",
      scope.accountId, scope.region, repo, page.last ?? "", page.n ?? -1,
    ).map((r) => String(r.tag));
  }

  /** Every manifest of the repository with its tags (ECR ListImages / DescribeImages). */
  listImages(scope: Scope, repo: string): ImageRecord[] {
    const rows = this.#all(
      `SELECT m.digest, m.media_type, m.size, m.pushed_at, m.config_digest, m.subject_digest, m.artifact_type, m.image_size,
              (SELECT json_group_array(tag) FROM (SELECT tag FROM registry_tags t
                 WHERE t.account = m.account AND t.region = m.region AND t.repo = m.repo AND t.digest = m.digest ORDER BY tag)) AS tags
       FROM registry_manifests m WHERE m.account = ? AND m.region = ? AND m.repo = ? ORDER BY m.pushed_at, m.digest`,
      scope.accountId, scope.region, repo,
    );
    return rows.map((r) => ({ ...toManifestHead(r), tags: JSON.parse(String(r.tags)) as string[] }));
  }

  /** Manifests whose `subject` is `digest` (the referrers API). */
  referrers(scope: Scope, repo: string, digest: string): ManifestRecord[] {
    return this.#all(
      "SELECT * FROM registry_manifests WHERE account = ? AND region = ? AND repo = ? AND subject_digest = ? ORDER BY pushed_at, digest",
      scope.accountId, scope.region, repo, digest,
    ).map(toManifest);
  }

  manifestRefs(scope: Scope, repo: string, digest: string): ManifestRef[] {
    return this.#all(
      "SELECT kind, child_digest FROM registry_manifest_refs WHERE account = ? AND region = ? AND repo = ? AND manifest_digest = ? ORDER BY kind, position",
      scope.accountId, scope.region, repo, digest,
    ).map((r) => ({ kind: String(r.kind) as ManifestRef["kind"], digest: String(r.child_digest) }));
  }

  // ---- upload sessions -------------------------------------------------------------------

  createUpload(scope: Scope, repo: string, uuid: string): void {
    const now = this.#clock.now();
    this.#run("INSERT INTO registry_uploads (uuid, account, region, repo, started_at, touched_at) VALUES (?, ?, ?, ?, ?, ?)", uuid, scope.accountId, scope.region, repo, now, now);
  }

  /** The session received data now. */
  touchUpload(uuid: string): void {
    this.#run("UPDATE registry_uploads SET touched_at = ? WHERE uuid = ?", this.#clock.now(), uuid);
  }

  getUpload(uuid: string): UploadRecord | undefined {
    const r = this.#get("SELECT * FROM registry_uploads WHERE uuid = ?", uuid);
    return r ? uploadRecord(r) : undefined;
  }

  deleteUpload(uuid: string): void {
    this.#run("DELETE FROM registry_uploads WHERE uuid = ?", uuid);
  }

  listUploads(): UploadRecord[] {
    return this.#all("SELECT * FROM registry_uploads ORDER BY started_at").map(uploadRecord);
  }

  // ---- garbage collection ----------------------------------------------------------------

  /** Digests of every blob a manifest in any repository references (config and layers). */
  referencedBlobs(): Set<string> {
    return new Set(this.#all("SELECT DISTINCT child_digest FROM registry_manifest_refs WHERE kind IN ('config', 'layer')").map((r) => String(r.child_digest)));
  }

  /** Every recorded blob with its newest repository link time (null when linked nowhere). */
  blobsWithLastLink(): { digest: string; lastLinkedAt: number | null; createdAt: number }[] {
    return this.#all(
      `SELECT b.digest, b.created_at, (SELECT MAX(linked_at) FROM registry_repo_blobs l WHERE l.digest = b.digest) AS last
       FROM registry_blobs b`,
    ).map((r) => ({ digest: String(r.digest), lastLinkedAt: r.last === null ? null : Number(r.last), createdAt: Number(r.created_at) }));
  }

  /** Forgets a blob everywhere (its file is being deleted). */
  forgetBlob(digest: string): void {
    this.#run("DELETE FROM registry_repo_blobs WHERE digest = ?", digest);
    this.#run("DELETE FROM registry_blobs WHERE digest = ?", digest);
  }

  // ---- helpers ---------------------------------------------------------------------------

  #get(sql: string, ...args: SQLInputValue[]): Row | undefined {
    return this.#store.prepare(sql).get(...args) as Row | undefined;
  }
  #all(sql: string, ...args: SQLInputValue[]): Row[] {
    return this.#store.prepare(sql).all(...args) as Row[];
  }
  #run(sql: string, ...args: SQLInputValue[]): number {
    return Number(this.#store.prepare(sql).run(...args).changes);
  }
}

function toRepository(r: Row): RepositoryRecord {
  return {
    accountId: String(r.account),
    region: String(r.region),
    name: String(r.name),
    createdAt: Number(r.created_at),
    doc: JSON.parse(String(r.doc)) as Record<string, unknown>,
  };
}

function toManifestHead(r: Row): Omit<ManifestRecord, "body"> {
  return {
    digest: String(r.digest),
    mediaType: String(r.media_type),
    size: Number(r.size),
    pushedAt: Number(r.pushed_at),
    configDigest: r.config_digest == null ? null : String(r.config_digest),
    subjectDigest: r.subject_digest == null ? null : String(r.subject_digest),
    artifactType: r.artifact_type == null ? null : String(r.artifact_type),
    imageSize: Number(r.image_size),
  };
}

function toManifest(r: Row): ManifestRecord {
  return { ...toManifestHead(r), body: Buffer.from(r.body as Uint8Array) };
}

function uploadRecord(r: Row): UploadRecord {
  const startedAt = Number(r.started_at);
  return {
    uuid: String(r.uuid),
    accountId: String(r.account),
    region: String(r.region),
    repo: String(r.repo),
    startedAt,
    touchedAt: r.touched_at === null || r.touched_at === undefined ? startedAt : Number(r.touched_at),
  };
}
