/**
 * Which loopback port each listener binds. The routing table only says which port a listener was
 * created with; the data plane decides where it is served, from two rules:
 *
 * - Two listeners may ask for the same port (two load balancers on :80). They share it: one socket
 *   serves both, and the data plane tells them apart by the Host header (each load balancer's DNS
 *   name). Only a listener of the other protocol (HTTP on a port already serving HTTPS) gets the
 *   next free port above.
 * - A port that cannot be bound (privileged without root, or taken by another program) moves to its
 *   fallback: `port + 18000` below 1024 (80 → 18080), `port + 10000` above, then the next port that
 *   has not failed.
 */

/** The port a listener on `port` binds, given the ports that failed to bind (see the module comment). */
export function listenerHostPort(port: number, unbindable: { has(port: number): boolean }): number {
  if (!unbindable.has(port)) return port;
  let p = port < 1024 ? port + 18000 : port + 10000;
  if (p > 65535) p = 20000 + (port % 10000);
  while (unbindable.has(p)) p = p >= 65535 ? 20000 : p + 1;
  return p;
}

/**
 * Host port by listener ARN, for listeners in table order. Listeners of the same protocol that want
 * the same port share it: one socket serves them all and tells their load balancers apart by Host
 * (data-plane.ts). A listener whose port is already served with the other protocol (an HTTP
 * listener on a port that serves HTTPS) moves, with the others of its kind, to the next free port
 * above. Port 0 (any free port, which tests use) is never shared.
 */
export function planHostPorts(
  listeners: Iterable<{ readonly listenerArn: string; readonly port: number; readonly protocol?: string }>,
  preferred: (port: number) => number,
): Map<string, number> {
  const all = [...listeners];
  const claimed = new Map<string, number>();
  /** Protocol served on each claimed host port. */
  const used = new Map<number, string>();
  for (const l of all) {
    const hp = preferred(l.port);
    const protocol = l.protocol ?? "HTTP";
    if (hp === 0) claimed.set(l.listenerArn, 0);
    else if (!used.has(hp) || used.get(hp) === protocol) {
      claimed.set(l.listenerArn, hp);
      used.set(hp, protocol);
    }
  }
  /** Where the listeners that could not have `${port} ${protocol}` went. */
  const moved = new Map<string, number>();
  for (const l of all) {
    if (claimed.has(l.listenerArn)) continue;
    const protocol = l.protocol ?? "HTTP";
    const want = preferred(l.port);
    let hp = moved.get(`${want} ${protocol}`);
    if (hp === undefined) {
      hp = want;
      while (used.has(hp)) hp = hp >= 65535 ? 1024 : hp + 1;
      used.set(hp, protocol);
      moved.set(`${want} ${protocol}`, hp);
    }
    claimed.set(l.listenerArn, hp);
  }
  // In table order, as the first pass would have listed them.
  return new Map(all.map((l) => [l.listenerArn, claimed.get(l.listenerArn)!]));
}
