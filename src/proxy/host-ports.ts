/**
 * Which loopback port each listener binds. The routing table only says which port a listener was
 * created with; the data plane decides where it is served, from two rules:
 *
 * - Two listeners may ask for the same port (two load balancers on :80). In table order, each first
 *   claims the port it prefers; one whose port an earlier listener holds gets the next free port
 *   above it.
 * - A port that cannot be bound (privileged without root, or taken by another program) moves to its
 *   fallback: `port + 18000` below 1024 (80 → 18080), `port + 10000` above, then the next port that
 *   has not failed.
 */

/** The port a listener on `port` binds, given the ports that failed to bind (see the module comment). */
export function listenerHostPort(port: number, unbindable: ReadonlySet<number>): number {
  if (!unbindable.has(port)) return port;
  let p = port < 1024 ? port + 18000 : port + 10000;
  if (p > 65535) p = 20000 + (port % 10000);
  while (unbindable.has(p)) p = p >= 65535 ? 20000 : p + 1;
  return p;
}

/**
 * Host port by listener ARN, for listeners in table order: each first claims `preferred(port)`;
 * those whose preferred port is already claimed get the next free port above it. Port 0 (any free
 * port, which tests use) is never claimed.
 */
export function planHostPorts(
  listeners: Iterable<{ readonly listenerArn: string; readonly port: number }>,
  preferred: (port: number) => number,
): Map<string, number> {
  const all = [...listeners];
  const claimed = new Map<string, number>();
  const used = new Set<number>();
  for (const l of all) {
    const hp = preferred(l.port);
    if (hp === 0 || !used.has(hp)) {
      claimed.set(l.listenerArn, hp);
      if (hp !== 0) used.add(hp);
    }
  }
  for (const l of all) {
    if (claimed.has(l.listenerArn)) continue;
    let hp = preferred(l.port);
    while (used.has(hp)) hp = hp >= 65535 ? 1024 : hp + 1;
    claimed.set(l.listenerArn, hp);
    used.add(hp);
  }
  // In table order, as the first pass would have listed them.
  return new Map(all.map((l) => [l.listenerArn, claimed.get(l.listenerArn)!]));
}
