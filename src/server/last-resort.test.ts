import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";

describe("installLastResort", () => {
  it("logs an uncaught exception and an unhandled rejection, and the process keeps serving", async () => {
    const script = `
      import { createServer, get } from "node:http";
      import { installLastResort } from ${JSON.stringify(new URL("./last-resort.ts", import.meta.url).href)};
      installLastResort((m) => console.log("LOG " + m.split("\\n")[0]));
      const srv = createServer((req, res) => {
        if (req.url === "/throw") setImmediate(() => { throw new Error("boom from a callback"); });
        if (req.url === "/reject") void Promise.reject(new Error("rejected"));
        res.end("alive");
      });
      srv.listen(0, "127.0.0.1", async () => {
        const port = srv.address().port;
        const fetchText = (p) => new Promise((r) => get({ port, host: "127.0.0.1", path: p, agent: false }, (res) => { let b = ""; res.on("data", (d) => (b += d)); res.on("end", () => r(b)); }));
        await fetchText("/throw");
        await fetchText("/reject");
        console.log("AFTER " + (await fetchText("/")));
        srv.close();
      });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    assert.equal(code, 0, out);
    assert.match(out, /LOG internal error \(uncaughtException\), still serving: Error: boom from a callback/);
    assert.match(out, /LOG internal error \(unhandledRejection\), still serving: Error: rejected/);
    assert.match(out, /AFTER alive/);
  });
});
