/**
 * The process's last line of defence: an exception or rejection nothing else caught is logged and
 * the process keeps serving, instead of taking every API, registry and load balancer down with it.
 * Installed by `slipway up` (not by startSlipway: a library must not change its host process). The
 * places that can see bad input catch their own errors first (the data plane answers 502 for a
 * response it cannot relay); this only keeps a missed case from becoming an outage.
 */
export function installLastResort(log: (message: string) => void): () => void {
  const onError = (err: unknown, origin: string) => {
    const e = err instanceof Error ? err : new Error(String(err));
    log(`internal error (${origin}), still serving: ${e.stack ?? e.message}`);
  };
  const onException = (err: Error, origin: string) => onError(err, origin);
  const onRejection = (reason: unknown) => onError(reason, "unhandledRejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
