import assert from "node:assert/strict";
import { request } from "node:http";
import { test } from "node:test";
import { closeServer, listen } from "./http.ts";

test("a request that arrives after the port is bound but before the front door exists is answered once it does", { timeout: 10_000 }, async () => {
  const http = await listen({ port: 0, host: "127.0.0.1", headersTimeoutMs: 5000, keepAliveTimeoutMs: 1000 });
  try {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((r) => (arrived = r));
    http.server.prependListener("request", () => arrived());
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: http.port, method: "POST", path: "/early" }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end("hello");
    });
    await requestArrived; // the server has the request, and nothing serves yet
    http.serve(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      res.writeHead(200).end(`${req.url} ${body}`);
    });
    assert.deepEqual(await answer, { status: 200, body: "/early hello" });
  } finally {
    await closeServer(http.server);
  }
});
