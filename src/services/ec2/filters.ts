/**
 * EC2 `Filter.N` semantics: filters are ANDed, a filter's values are ORed, `*` and `?` are
 * wildcards; `tag:Key`, `tag-key` and `tag-value` look at the resource's tags. An unknown filter
 * name is InvalidParameterValue, as AWS answers.
 */
import type { Filter } from "@aws-sdk/client-ec2";
import type { Tag } from "../../store/tags.ts";
import { invalidParameterValue } from "./errors.ts";
import { compileGlob } from "../../core/glob.ts";

type Scalar = string | number | boolean | undefined | null;
/** Filter name → the values of one item that the filter compares against. */
export type FilterFields<T> = Readonly<Record<string, (item: T) => Scalar | readonly Scalar[]>>;

export function matchesAny(candidates: readonly Scalar[], wanted: readonly string[]): boolean {
  // Compiled per call (a client sends arbitrary values: nothing is cached, nothing backtracks).
  const globs = wanted.map((w) => compileGlob(w, { question: true }));
  return candidates.some((c) => c !== undefined && c !== null && globs.some((g) => g.matches(String(c))));
}

export function applyFilters<T>(
  items: readonly T[],
  filters: readonly Filter[] | undefined,
  fields: FilterFields<T>,
  tagsOf: (item: T) => readonly Tag[],
): T[] {
  if (!filters?.length) return [...items];
  const checks = filters.map((f) => {
    const name = f.Name ?? "";
    const values = f.Values ?? [];
    if (name.startsWith("tag:")) {
      const key = name.slice(4);
      return (item: T) => matchesAny(tagsOf(item).filter((t) => t.key === key).map((t) => t.value), values);
    }
    if (name === "tag-key") return (item: T) => matchesAny(tagsOf(item).map((t) => t.key), values);
    if (name === "tag-value") return (item: T) => matchesAny(tagsOf(item).map((t) => t.value), values);
    const field = fields[name];
    if (!field) throw invalidParameterValue(`The filter '${name}' is invalid`);
    return (item: T) => {
      const got = field(item);
      return matchesAny(Array.isArray(got) ? (got as readonly Scalar[]) : [got as Scalar], values);
    };
  });
  return items.filter((item) => checks.every((check) => check(item)));
}
