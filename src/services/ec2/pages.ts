/**
 * EC2 Describe pagination over the shared `offsetPage`: MaxResults per page (absent or not
 * positive: everything), NextToken opaque and present only when more items exist; a token EC2 did
 * not issue is InvalidParameterValue. An empty NextToken counts as none.
 */
import { offsetPage } from "../common/paginate.ts";
import { invalidParameterValue } from "./errors.ts";

export interface PageRequest {
  readonly MaxResults?: number | undefined;
  readonly NextToken?: string | undefined;
}

/** `{ [key]: items of this page, NextToken? }`. */
export function describePage<K extends string, T>(key: K, items: readonly T[], input: PageRequest): { [P in K]: T[] } & { NextToken?: string } {
  const size = input.MaxResults && input.MaxResults > 0 ? input.MaxResults : items.length;
  const token = input.NextToken || undefined;
  const page = offsetPage(items, size, token, () => invalidParameterValue(`Invalid value '${input.NextToken}' for nextToken`));
  return { [key]: page.items, ...(page.next ? { NextToken: page.next } : {}) } as { [P in K]: T[] } & { NextToken?: string };
}
