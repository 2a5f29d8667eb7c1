/**
 * Offset pagination, shared by every service: a page of `size` items from the position an opaque
 * token names, and a token for the next page only when more items exist (the SDK and botocore
 * paginators stop when it is absent). Each service keeps its own field names (nextToken,
 * NextToken, Marker, NextMarker), page-size limits and error for a bad token.
 */
export interface Page<T> {
  readonly items: T[];
  /** Absent on the last page. */
  readonly next?: string;
}

const PREFIX = "o:";

/**
 * `size` items starting where `token` points (the start when undefined). A token that this
 * function did not produce makes `invalidToken()` be thrown.
 */
export function offsetPage<T>(items: readonly T[], size: number, token: string | undefined, invalidToken: () => Error): Page<T> {
  let start = 0;
  if (token !== undefined) {
    const text = Buffer.from(token, "base64url").toString("utf8");
    const n = Number(text.slice(PREFIX.length));
    if (!text.startsWith(PREFIX) || !Number.isSafeInteger(n) || n < 0) throw invalidToken();
    start = n;
  }
  const end = start + size;
  const page = items.slice(start, end);
  return end < items.length ? { items: page, next: Buffer.from(`${PREFIX}${end}`).toString("base64url") } : { items: page };
}
