/**
 * ECR lifecycle policies: validation of the policy text and a pure evaluator, following
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
 * ("Lifecycle policy evaluation rules"):
 *
 * - rules are applied by rulePriority, lowest first; an image is expired by at most one rule;
 * - an image that matches the tagging requirements of a rule cannot be expired by a rule with a
 *   lower priority (a higher rulePriority number), but later rules still see it when counting;
 * - tagged rules select images having, for every entry of tagPrefixList/tagPatternList, a tag
 *   that starts with / matches it (`*` wildcards); untagged selects images without tags; any
 *   selects every image;
 * - imageCountMoreThan keeps the newest N selected images (by push time) and expires the rest;
 *   sinceImagePushed expires selected images pushed more than N days ago;
 * - expiration is ordered by push time: older images before newer ones.
 */
import { invalidParameter } from "./errors.ts";
import { compileGlob } from "../../core/glob.ts";

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: "tagged" | "untagged" | "any";
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: "imageCountMoreThan" | "sinceImagePushed";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

export interface LifecyclePolicy {
  rules: LifecycleRule[];
}

export interface LifecycleImage {
  digest: string;
  tags: readonly string[];
  /** Milliseconds since the epoch. */
  pushedAt: number;
}

export interface LifecycleVerdict {
  image: LifecycleImage;
  appliedRulePriority: number;
}

const DAY_MS = 86_400_000;

const invalid = (why: string) => invalidParameter(`Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '${why}'`);

/** Parses and validates a lifecycle policy text; InvalidParameterException when it is not valid. */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalid("Lifecycle policy validation failure: could not parse the policy as JSON");
  }
  if (!isObject(raw) || !Array.isArray(raw.rules) || raw.rules.length === 0) throw invalid("Lifecycle policy validation failure: 'rules' must be a non-empty array");
  const rules: LifecycleRule[] = [];
  const priorities = new Set<number>();
  let untaggedRules = 0;
  for (const r of raw.rules as unknown[]) {
    if (!isObject(r)) throw invalid("Lifecycle policy validation failure: a rule must be an object");
    const priority = r.rulePriority;
    if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 1) throw invalid("Lifecycle policy validation failure: rulePriority must be a positive integer");
    if (priorities.has(priority)) throw invalid(`Lifecycle policy validation failure: rulePriority ${priority} is not unique`);
    priorities.add(priority);
    if (r.description !== undefined && typeof r.description !== "string") throw invalid("Lifecycle policy validation failure: description must be a string");
    const s = r.selection;
    if (!isObject(s)) throw invalid("Lifecycle policy validation failure: selection is required");
    const tagStatus = s.tagStatus;
    if (tagStatus !== "tagged" && tagStatus !== "untagged" && tagStatus !== "any") throw invalid("Lifecycle policy validation failure: tagStatus must be one of tagged, untagged, any");
    const prefixes = optionalStringList(s.tagPrefixList, "tagPrefixList");
    const patterns = optionalStringList(s.tagPatternList, "tagPatternList");
    if (prefixes && patterns) throw invalid("Lifecycle policy validation failure: a rule may specify tagPrefixList or tagPatternList, not both");
    if (tagStatus === "tagged" && !prefixes && !patterns) throw invalid("Lifecycle policy validation failure: tagPrefixList or tagPatternList is required when tagStatus is tagged");
    if (tagStatus !== "tagged" && (prefixes || patterns)) throw invalid("Lifecycle policy validation failure: tagPrefixList and tagPatternList can only be used with tagStatus tagged");
    if (patterns?.some((p) => (p.match(/\*/g)?.length ?? 0) > 4)) throw invalid("Lifecycle policy validation failure: a tag pattern may contain at most 4 wildcards");
    if (tagStatus === "untagged") untaggedRules++;
    const countType = s.countType;
    if (countType !== "imageCountMoreThan" && countType !== "sinceImagePushed") throw invalid("Lifecycle policy validation failure: countType must be imageCountMoreThan or sinceImagePushed");
    const countNumber = s.countNumber;
    if (typeof countNumber !== "number" || !Number.isInteger(countNumber) || countNumber < 1) throw invalid("Lifecycle policy validation failure: countNumber must be a positive integer");
    if (countType === "sinceImagePushed" && s.countUnit !== "days") throw invalid("Lifecycle policy validation failure: countUnit must be days when countType is sinceImagePushed");
    if (countType === "imageCountMoreThan" && s.countUnit !== undefined) throw invalid("Lifecycle policy validation failure: countUnit is not allowed when countType is imageCountMoreThan");
    const action = r.action;
    if (!isObject(action) || action.type !== "expire") throw invalid("Lifecycle policy validation failure: action.type must be expire");
    rules.push({
      rulePriority: priority,
      ...(typeof r.description === "string" ? { description: r.description } : {}),
      selection: {
        tagStatus,
        ...(prefixes ? { tagPrefixList: prefixes } : {}),
        ...(patterns ? { tagPatternList: patterns } : {}),
        countType,
        ...(countType === "sinceImagePushed" ? { countUnit: "days" as const } : {}),
        countNumber,
      },
      action: { type: "expire" },
    });
  }
  if (untaggedRules > 1) throw invalid("Lifecycle policy validation failure: only one rule may select untagged images");
  const sorted = [...rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const anyIndex = sorted.findIndex((r) => r.selection.tagStatus === "any");
  if (anyIndex >= 0 && anyIndex !== sorted.length - 1) throw invalid("Lifecycle policy validation failure: a rule with tagStatus any must have the highest rulePriority");
  return { rules: sorted };
}

/**
 * The images the policy expires at `now`, each with the rule that expires it, oldest first.
 * Pure: the caller deletes them (scheduled run) or reports them (preview).
 */
export function evaluateLifecyclePolicy(policy: LifecyclePolicy, images: readonly LifecycleImage[], now: number): LifecycleVerdict[] {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  // Newest first for counting; ties broken by digest for determinism.
  const newestFirst = [...images].sort((a, b) => b.pushedAt - a.pushedAt || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const claimed = new Set<string>();
  const expired = new Map<string, LifecycleVerdict>();
  for (const rule of rules) {
    const selected = newestFirst.filter((img) => selects(rule, img));
    const s = rule.selection;
    const expire =
      s.countType === "imageCountMoreThan" ? selected.slice(s.countNumber) : selected.filter((img) => img.pushedAt < now - s.countNumber * DAY_MS);
    for (const img of expire) {
      if (!claimed.has(img.digest)) expired.set(img.digest, { image: img, appliedRulePriority: rule.rulePriority });
    }
    for (const img of selected) claimed.add(img.digest);
  }
  return [...expired.values()].sort((a, b) => a.image.pushedAt - b.image.pushedAt || (a.image.digest < b.image.digest ? -1 : 1));
}

function selects(rule: LifecycleRule, img: LifecycleImage): boolean {
  const s = rule.selection;
  if (s.tagStatus === "any") return true;
  if (s.tagStatus === "untagged") return img.tags.length === 0;
  if (img.tags.length === 0) return false;
  if (s.tagPrefixList) return s.tagPrefixList.every((p) => img.tags.some((t) => t.startsWith(p)));
  if (s.tagPatternList) return s.tagPatternList.map((p) => compileGlob(p)).every((g) => img.tags.some((t) => g.matches(t)));
  return false;
}

function optionalStringList(v: unknown, name: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x.length > 0)) {
    throw invalid(`Lifecycle policy validation failure: ${name} must be a non-empty list of non-empty strings`);
  }
  return v as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
