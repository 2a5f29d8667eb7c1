/**
 * Who may talk to the console: only this machine (loopback peers), only under a loopback host
 * name (so a web page cannot reach it by rebinding its own DNS name to 127.0.0.1), and, for
 * anything that changes state, only pages of the console itself (Origin and Sec-Fetch-Site
 * name this origin, and the session's token is echoed in X-Slipway-Token).
 */
import type { IncomingHttpHeaders } from "node:http";
import { sameSecret } from "../core/secret.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** "127.0.0.1:4566" → true when the host is a loopback name and the port is ours. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!m || !LOOPBACK_HOSTS.has(m[1]!)) return false;
  return Number(m[2] ?? 80) === port;
}

/** An Origin header naming this server (any loopback name, our port). */
export function isOwnOrigin(origin: string | undefined, port: number): boolean {
  if (!origin) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === "http:" && isLoopbackHost(url.host, port) && url.pathname === "/";
}

export type Refusal = { status: number; reason: string };

/** Checks for every console request: loopback peer and loopback Host. */
export function checkPeer(remoteAddress: string | undefined, headers: IncomingHttpHeaders, port: number): Refusal | undefined {
  if (!isLoopbackAddress(remoteAddress)) return { status: 403, reason: "The Slipway console answers only on loopback." };
  if (!isLoopbackHost(headers.host, port)) return { status: 421, reason: "The Slipway console answers only to 127.0.0.1, localhost or [::1] on its own port." };
  return undefined;
}

/** Extra checks for a request that changes state (or reads through the API on the user's behalf). */
export function checkSameOrigin(headers: IncomingHttpHeaders, port: number, token: string | undefined): Refusal | undefined {
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return { status: 403, reason: `Cross-site request refused (Sec-Fetch-Site: ${String(site)}).` };
  if (!isOwnOrigin(headers.origin, port)) return { status: 403, reason: "Cross-site request refused: the Origin header must name this console." };
  const sent = headers["x-slipway-token"];
  if (typeof sent !== "string" || token === undefined || !sameSecret(sent, token)) {
    return { status: 403, reason: "Missing or wrong X-Slipway-Token." };
  }
  return undefined;
}
