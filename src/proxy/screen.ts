/**
 * What the load balancer refuses before any rule runs, on top of what Node's strict parser already
 * refuses with 400 (conflicting Content-Length and Transfer-Encoding, duplicate Content-Length,
 * obs-fold, invalid characters, a Transfer-Encoding whose last coding is not chunked: see
 * `clientError` in data-plane.ts). The statuses are the ones ALB documents for these requests
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html#load-balancer-http-error-codes):
 *
 * - 505 HTTP Version Not Supported: an HTTP/2 request line on an HTTP/1 connection;
 * - 405 Method Not Allowed: TRACE;
 * - 501 Not Implemented: a Transfer-Encoding other than `chunked` (ALB supports only chunked and
 *   identity, and says to use Content-Encoding instead): `gzip, chunked` must not be forwarded as
 *   plain chunked;
 * - 400 Bad Request: a malformed request. Here: more than one Host field line (RFC 9112 §3.2 says a
 *   server MUST answer 400), a request target in absolute or authority form (rules have matched on
 *   Host, so a different authority in the target would reach a target the rules never chose), and
 *   CONNECT (Elastic Load Balancing does not support it:
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/ts-elb-error-message.html).
 *
 * Each of these answers closes the connection: the request's framing cannot be trusted.
 */

/** The status to refuse `req` with, or 0 when it may be routed. Scans the raw headers once. */
export function refusal(req: {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersionMajor: number;
  readonly rawHeaders: readonly string[];
}): number {
  if (req.httpVersionMajor !== 1) return 505;
  const method = req.method;
  if (method === "CONNECT") return 400;
  if (method === "TRACE") return 405;
  const url = req.url ?? "";
  if (url.charCodeAt(0) !== 47 /* / */ && !(url === "*" && method === "OPTIONS")) return 400;
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === "host") {
      if (++hosts > 1) return 400;
    } else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") {
      if (raw[i + 1]!.trim().toLowerCase() !== "chunked") return 501;
    }
  }
  return 0;
}
