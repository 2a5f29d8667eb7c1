/**
 * Secret values and their versions: envelope encryption under the secret's KMS key, staging labels
 * (AWSCURRENT, AWSPREVIOUS, AWSPENDING and custom ones), and the reads. The label rules are those of
 * PutSecretValue, UpdateSecretVersionStage and the versioning page:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
 * A label is on at most one version; giving AWSCURRENT to a version gives AWSPREVIOUS to the one
 * that had it; a version with no label is deprecated (hidden from listings, readable by id).
 */
import { open, seal } from "../../core/aead.ts";
import type { Scope } from "../../core/arn.ts";
import type { SecretsManagerDeps } from "./context.ts";
import { DAY_MS, dayOf } from "./context.ts";
import {
  bothValues,
  constraint,
  decryptionFailure,
  encryptionFailure,
  invalidParameter,
  limitExceeded,
  stageMismatch,
  stageNotFound,
  versionNotFound,
} from "./errors.ts";
import { DEFAULT_KEY_ALIAS, KeyUnavailable } from "./ports.ts";
import type { SecretRow, SecretsRepo, VersionRow } from "./repo.ts";

export const CURRENT = "AWSCURRENT";
export const PREVIOUS = "AWSPREVIOUS";
export const PENDING = "AWSPENDING";

const MAX_VALUE_BYTES = 65536;
const MAX_LABELS_PER_VERSION = 20;
/** Secrets Manager keeps about 100 versions, but never removes one younger than a day. */
const KEPT_VERSIONS = 100;

export type SecretValue = { readonly kind: "string"; readonly text: string } | { readonly kind: "binary"; readonly bytes: Uint8Array };

export const scopeOf = (s: SecretRow): Scope => ({ accountId: s.account, region: s.region });

/** The value a request carries, or undefined; both, or an out-of-range size, is refused. */
export function valueIn(input: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined }): SecretValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) throw bothValues();
  if (input.SecretString !== undefined) {
    const n = Buffer.byteLength(input.SecretString, "utf8");
    if (n < 1 || n > MAX_VALUE_BYTES)
      throw constraint(undefined, "secretString", `Member must have length ${n < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_VALUE_BYTES}`}`);
    return { kind: "string", text: input.SecretString };
  }
  if (input.SecretBinary !== undefined) {
    const n = input.SecretBinary.byteLength;
    if (n < 1 || n > MAX_VALUE_BYTES)
      throw constraint(undefined, "secretBinary", `Member must have length ${n < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_VALUE_BYTES}`}`);
    return { kind: "binary", bytes: input.SecretBinary };
  }
  return undefined;
}

const bytesOf = (v: SecretValue): Uint8Array => (v.kind === "string" ? Buffer.from(v.text, "utf8") : v.bytes);
const context = (arn: string, versionId: string) => ({ SecretARN: arn, SecretVersionId: versionId });
const aad = (arn: string, versionId: string, kind: string) => Buffer.from(`${arn}\n${versionId}\n${kind}`, "utf8");

export function checkStages(stages: readonly string[] | undefined): void {
  if (stages === undefined) return;
  if (stages.length < 1 || stages.length > MAX_LABELS_PER_VERSION)
    throw constraint(undefined, "versionStages", `Member must have length ${stages.length < 1 ? "greater than or equal to 1" : "less than or equal to 20"}`);
  for (const s of stages) if (s.length < 1 || s.length > 256) throw constraint(s, "versionStages", "Member must have length between 1 and 256");
}

export interface ReadValue {
  readonly version: VersionRow;
  readonly value: SecretValue;
  readonly stages: string[];
}

export class Values {
  readonly #deps: SecretsManagerDeps;
  readonly #repo: SecretsRepo;

  constructor(deps: SecretsManagerDeps, repo: SecretsRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  /** Seals `value` for a version of `secret` under the secret's key (the default key when it names none). */
  #seal(secret: SecretRow, versionId: string, value: SecretValue): { keyLabel: string; dataKey: Buffer; sealed: Buffer } {
    let dk: { plaintext: Buffer; blob: Buffer };
    try {
      dk = this.#deps.keys.dataKey(scopeOf(secret), secret.kms_key_id ?? DEFAULT_KEY_ALIAS, context(secret.arn, versionId));
    } catch (err) {
      if (err instanceof KeyUnavailable) throw encryptionFailure();
      throw err;
    }
    const sealed = seal(dk.plaintext, bytesOf(value), aad(secret.arn, versionId, value.kind));
    dk.plaintext.fill(0);
    return { keyLabel: secret.kms_key_id ?? "DefaultEncryptionKey", dataKey: dk.blob, sealed };
  }

  /** A new version (or the value of a version RotateSecret made empty), labelled `stages` (AWSCURRENT by default). */
  add(secret: SecretRow, versionId: string, value: SecretValue, stages: readonly string[] | undefined): VersionRow {
    const { keyLabel, dataKey, sealed } = this.#seal(secret, versionId, value);
    const existing = this.#repo.version(secret.arn, versionId);
    if (existing) this.#repo.setValue(secret.arn, versionId, value.kind, keyLabel, dataKey, sealed);
    else
      this.#repo.insertVersion({
        secret_arn: secret.arn,
        version_id: versionId,
        seq: this.#repo.nextSeq(secret.arn),
        created_at: this.#deps.clock.now(),
        last_accessed: null,
        kind: value.kind,
        key_label: keyLabel,
        data_key: dataKey,
        sealed,
      });
    const labels = new Set(stages ?? [CURRENT]);
    // The first version of a secret always becomes AWSCURRENT.
    if (this.#repo.stageHolder(secret.arn, CURRENT) === undefined) labels.add(CURRENT);
    for (const l of labels) this.attach(secret.arn, l, versionId);
    this.#purgeOld(secret.arn);
    return this.#repo.version(secret.arn, versionId)!;
  }

  /** An empty version (RotateSecret's AWSPENDING before the rotation function stores a value). */
  addEmpty(secret: SecretRow, versionId: string, stage: string): void {
    this.#repo.insertVersion({
      secret_arn: secret.arn,
      version_id: versionId,
      seq: this.#repo.nextSeq(secret.arn),
      created_at: this.#deps.clock.now(),
      last_accessed: null,
      kind: "none",
      key_label: null,
      data_key: null,
      sealed: null,
    });
    this.attach(secret.arn, stage, versionId);
  }

  /** Puts label `stage` on `versionId`, taking it from its holder; AWSCURRENT's old holder becomes AWSPREVIOUS. */
  attach(secretArn: string, stage: string, versionId: string): void {
    const holder = this.#repo.stageHolder(secretArn, stage);
    if (holder === versionId) return;
    const onVersion = [...this.#repo.stages(secretArn)].filter(([, v]) => v === versionId).length;
    if (onVersion >= MAX_LABELS_PER_VERSION) throw limitExceeded(`A version can have at most ${MAX_LABELS_PER_VERSION} staging labels.`);
    if (stage === CURRENT && holder !== undefined) this.#repo.setStage(secretArn, PREVIOUS, holder);
    this.#repo.setStage(secretArn, stage, versionId);
  }

  #purgeOld(secretArn: string): void {
    const versions = this.#repo.versions(secretArn);
    if (versions.length <= KEPT_VERSIONS) return;
    const labelled = new Set(this.#repo.stages(secretArn).values());
    const cutoff = this.#deps.clock.now() - DAY_MS;
    let excess = versions.length - KEPT_VERSIONS;
    for (const v of versions) {
      if (excess === 0) break;
      if (labelled.has(v.version_id) || v.created_at > cutoff) continue;
      this.#repo.deleteVersion(secretArn, v.version_id);
      excess--;
    }
  }

  /** Version id → its labels (versions without labels are absent). */
  stagesByVersion(secretArn: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [stage, v] of this.#repo.stages(secretArn)) {
      const list = out.get(v) ?? [];
      list.push(stage);
      out.set(v, list);
    }
    return out;
  }

  stagesOf(secretArn: string, versionId: string): string[] {
    return this.stagesByVersion(secretArn).get(versionId) ?? [];
  }

  /** Decrypts a version's value; DecryptionFailure when its key cannot be used. */
  decrypt(secret: SecretRow, v: VersionRow): SecretValue {
    if (v.kind === "none" || !v.data_key || !v.sealed) throw versionNotFound(v.version_id);
    let dataKey: Buffer;
    try {
      dataKey = this.#deps.keys.decryptDataKey(scopeOf(secret), v.data_key, context(secret.arn, v.version_id));
    } catch (err) {
      if (err instanceof KeyUnavailable) throw decryptionFailure();
      throw err;
    }
    const plain = open(dataKey, v.sealed, aad(secret.arn, v.version_id, v.kind));
    dataKey.fill(0);
    if (!plain) throw decryptionFailure();
    return v.kind === "string" ? { kind: "string", text: plain.toString("utf8") } : { kind: "binary", bytes: new Uint8Array(plain) };
  }

  /** True when version `v` holds exactly `value` (idempotent retries of the same ClientRequestToken). */
  same(secret: SecretRow, v: VersionRow, value: SecretValue): boolean {
    if (v.kind !== value.kind) return false;
    return Buffer.from(bytesOf(this.decrypt(secret, v))).equals(Buffer.from(bytesOf(value)));
  }

  /**
   * GetSecretValue's choice of version: by id (checked against the stage when both are given), else
   * by stage (AWSCURRENT by default). Records the access date (once a day, so reads stay reads).
   */
  read(secret: SecretRow, versionId: string | undefined, stage: string | undefined): ReadValue {
    let v: VersionRow | undefined;
    if (versionId !== undefined) {
      if (versionId.length < 32 || versionId.length > 64)
        throw constraint(versionId, "versionId", `Member must have length ${versionId.length < 32 ? "greater than or equal to 32" : "less than or equal to 64"}`);
      v = this.#repo.version(secret.arn, versionId);
      if (!v) throw versionNotFound(versionId);
      if (stage !== undefined && this.#repo.stageHolder(secret.arn, stage) !== versionId) throw stageMismatch();
      if (v.kind === "none") throw versionNotFound(versionId);
    } else {
      const label = stage ?? CURRENT;
      const holder = this.#repo.stageHolder(secret.arn, label);
      v = holder === undefined ? undefined : this.#repo.version(secret.arn, holder);
      if (!v || v.kind === "none") throw stageNotFound(label);
    }
    const value = this.decrypt(secret, v);
    const today = dayOf(this.#deps.clock.now());
    if (v.last_accessed !== today || secret.last_accessed !== today) {
      this.#deps.store.tx(() => {
        this.#repo.touchVersion(secret.arn, v.version_id, today);
        this.#repo.update(secret.arn, { last_accessed: today });
      });
    }
    return { version: v, value, stages: this.stagesOf(secret.arn, v.version_id) };
  }

  /** UpdateSecret with a new KmsKeyId: the AWSCURRENT, AWSPENDING and AWSPREVIOUS values are sealed again under it. */
  reencrypt(before: SecretRow, after: SecretRow): void {
    const stages = this.#repo.stages(before.arn);
    const ids = new Set([CURRENT, PENDING, PREVIOUS].map((s) => stages.get(s)).filter((v): v is string => v !== undefined));
    for (const id of ids) {
      const v = this.#repo.version(before.arn, id);
      if (!v || v.kind === "none") continue;
      const value = this.decrypt(before, v);
      const { keyLabel, dataKey, sealed } = this.#seal(after, id, value);
      this.#repo.setValue(before.arn, id, value.kind, keyLabel, dataKey, sealed);
    }
  }

  /**
   * UpdateSecretVersionStage: move a label to MoveToVersionId (naming its present holder in
   * RemoveFromVersionId) or remove it from RemoveFromVersionId.
   */
  moveStage(secret: SecretRow, stage: string, removeFrom: string | undefined, moveTo: string | undefined): void {
    if (stage.length < 1 || stage.length > 256) throw constraint(stage, "versionStage", "Member must have length between 1 and 256");
    for (const [member, id] of [["removeFromVersionId", removeFrom], ["moveToVersionId", moveTo]] as const) {
      if (id !== undefined && (id.length < 32 || id.length > 64))
        throw constraint(id, member, `Member must have length ${id.length < 32 ? "greater than or equal to 32" : "less than or equal to 64"}`);
    }
    const holder = this.#repo.stageHolder(secret.arn, stage);
    if (moveTo !== undefined) {
      if (!this.#repo.version(secret.arn, moveTo)) throw invalidParameter(`Not a valid version: ${moveTo}`);
      if (holder !== undefined && holder !== moveTo && removeFrom !== holder)
        throw invalidParameter(
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      if (removeFrom !== undefined && holder !== removeFrom)
        throw invalidParameter(`The staging label ${stage} is not attached to version ${removeFrom}.`);
      this.attach(secret.arn, stage, moveTo);
      return;
    }
    if (removeFrom === undefined) throw invalidParameter("You must specify MoveToVersionId, RemoveFromVersionId, or both.");
    if (holder !== removeFrom) throw invalidParameter(`The staging label ${stage} is not attached to version ${removeFrom}.`);
    if (stage === CURRENT) throw invalidParameter("You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.");
    this.#repo.removeStage(secret.arn, stage);
  }
}
