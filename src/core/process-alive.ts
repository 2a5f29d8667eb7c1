/**
 * Whether a process with this pid exists now (signal 0 probes without signalling). EPERM means it
 * exists but belongs to another user. A pid can be reused, so callers treat "alive" as "do not
 * touch what it owns", never as proof that it is the process they recorded.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
