/**
 * Responses the load balancer generates itself: small HTML pages with `Server: awselb/2.0`, for the
 * HTTP errors ALB answers on its own
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html).
 */
import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

const TITLES: Record<number, string> = {
  301: "301 Moved Permanently",
  302: "302 Found",
  400: "400 Bad Request",
  404: "404 Not Found",
  405: "405 Method Not Allowed",
  431: "431 Request Header Fields Too Large",
  500: "500 Internal Server Error",
  501: "501 Not Implemented",
  502: "502 Bad Gateway",
  503: "503 Service Temporarily Unavailable",
  504: "504 Gateway Time-out",
  505: "505 HTTP Version Not Supported",
};

export function errorTitle(status: number): string {
  return TITLES[status] ?? `${status}`;
}

export function errorBody(status: number): string {
  const t = errorTitle(status);
  return `<html>\r\n<head><title>${t}</title></head>\r\n<body>\r\n<center><h1>${t}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

/** Sends an ALB error page unless headers already went out, in which case the client connection is cut. */
export function sendError(res: ServerResponse, status: number, extraHeaders?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed || res.writableEnded) return;
  const body = errorBody(status);
  // An explicit reason: a failed writeHead may have left a bad statusMessage behind.
  res.writeHead(status, errorTitle(status).replace(/^\d+ /, ""), {
    Server: "awselb/2.0",
    "Content-Type": "text/html",
    "Content-Length": Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

/** The same page written raw to a socket (client errors, upgrade requests), then the socket is closed. */
export function writeRawError(socket: Duplex, status: number): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(status);
  const reason = errorTitle(status).replace(/^\d+ /, "");
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
