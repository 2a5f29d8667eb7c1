/**
 * HAProxy's runtime API (the stats socket at `level admin`): one command per connection, the whole
 * answer read until HAProxy closes. Used to move targets in and out of server slots and to set
 * their state without a reload (https://docs.haproxy.org/2.6/management.html#9.3).
 */
import { connect } from "node:net";

export function runtimeCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let out = "";
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`HAProxy runtime API: no answer to ${JSON.stringify(command)} within ${timeoutMs} ms`)));
    s.setEncoding("utf8");
    s.on("data", (d: string) => (out += d));
    s.on("error", reject);
    s.on("close", (hadError) => {
      if (!hadError) resolve(out);
    });
    s.end(`${command}\n`);
  });
}

/** Several commands in one connection (`;`-separated, HAProxy runs them in order). */
export function runtimeCommands(socketPath: string, commands: readonly string[]): Promise<string> {
  if (commands.length === 0) return Promise.resolve("");
  return runtimeCommand(socketPath, commands.join(";"));
}
