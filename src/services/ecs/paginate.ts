import { ServiceError } from "../../aws/service-error.ts";

/**
 * Offset pagination with an opaque token; a token is returned only when more items exist
 * (the botocore paginator stops on its absence).
 */
export function paginate<T>(items: readonly T[], max: number, token: string | undefined): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token !== undefined) {
    const decoded = Number(Buffer.from(token, "base64url").toString("utf8").replace(/^o:/, ""));
    if (!Number.isInteger(decoded) || decoded < 0 || !Buffer.from(token, "base64url").toString("utf8").startsWith("o:")) {
      throw new ServiceError("InvalidParameterException", "Invalid nextToken.");
    }
    start = decoded;
  }
  const page = items.slice(start, start + max);
  const next = start + max;
  return next < items.length ? { items: page, nextToken: Buffer.from(`o:${next}`).toString("base64url") } : { items: page };
}
