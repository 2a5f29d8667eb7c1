/**
 * The request context a policy's conditions and variables read: condition keys (lower-cased, as
 * IAM compares them case-insensitively) to one value or a set of values.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
export type ContextValue = string | readonly string[];

export interface Context {
  get(lowerKey: string): ContextValue | undefined;
}

/** A context from key/value pairs (keys are lower-cased here). */
export function contextOf(entries: Iterable<readonly [string, ContextValue | undefined]>): Map<string, ContextValue> {
  const m = new Map<string, ContextValue>();
  for (const [k, v] of entries) if (v !== undefined) m.set(k.toLowerCase(), v);
  return m;
}

/** One context read through another: `over` first (a request's keys over the principal's). */
export function layered(over: Context, under: Context): Context {
  return { get: (k) => over.get(k) ?? under.get(k) };
}
