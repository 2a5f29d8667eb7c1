/**
 * Fuzzing the load balancer's data plane over raw sockets: valid HTTP/1.1 requests (GET, POST with
 * a length or chunked body, keep-alive pairs) to a listener forwarding to a local target, then
 * mutated as bytes and as HTTP: request lines (methods, targets, versions), header lines (no
 * colon, space before it, control characters, obs-fold, huge ones, repeated Host, Content-Length
 * and Transfer-Encoding), body framing (lengths that lie, malformed chunk sizes), truncation, bit
 * flips and junk. Every input gets a well-formed status line or a clean close, never a hang (a
 * client that half-closes an incomplete request must not be left waiting), never a 500 (the data
 * plane's own failure), and the listener keeps serving.
 */
import { connect } from "node:net";
import { hash32, Rng } from "./rng.ts";

export interface DataPlaneFuzzResult {
  readonly counts: { inputs: number; answered: number; closedWithoutAnswer: number; byStatus: Record<string, number>; failures: number };
  readonly findings: Array<{ seed: number; input: number; what: string; request: string }>;
}

function validRequest(rng: Rng, host: string): Buffer {
  const path = rng.pick(["/", "/index.html", "/api/items?id=7&x=%20", "/a/b/c.png", "/health"]);
  switch (rng.int(4)) {
    case 0:
      return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: fuzz\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    case 1: {
      const body = "name=fuzz&n=1";
      return Buffer.from(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    }
    case 2:
      return Buffer.from(`PUT ${path} HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`);
    default:
      return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\nGET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  }
}

const LINES = [
  "GET / HTTP/1.0",
  "GET http://other.example/ HTTP/1.1",
  "GET other.example:80 HTTP/1.1",
  "CONNECT other.example:443 HTTP/1.1",
  "OPTIONS * HTTP/1.1",
  "TRACE / HTTP/1.1",
  "GET / HTTP/2.0",
  "GET / HTTP/9.9",
  "GET /\u0000 HTTP/1.1",
  "get / http/1.1",
  "GET  /  HTTP/1.1",
  "GET / HTTP/1.1 extra",
  `GET /${"a".repeat(70_000)} HTTP/1.1`,
  "PRI * HTTP/2.0",
  "G\u00e9T / HTTP/1.1",
  "",
];

const HEADERS = [
  "Host: second.example",
  "Host:",
  "Content-Length: 5",
  "Content-Length: -1",
  "Content-Length: 99999999999999999999",
  "Content-Length: 1, 2",
  "Transfer-Encoding: gzip, chunked",
  "Transfer-Encoding: chunked, identity",
  "Transfer-Encoding: xchunked",
  "Transfer-Encoding : chunked",
  "No-Colon-Here",
  " folded continuation",
  "X-Ctl: a\u0001b",
  "X-Nul: \u0000",
  `X-Big: ${"b".repeat(20_000)}`,
  "Connection: upgrade",
  "Upgrade: websocket",
  "Expect: 100-continue",
  "X-Forwarded-For: 1.2.3.4, not-an-ip",
  "Cookie: AWSALB=%%%; AWSALBTG=x",
  ":authority: x",
];

function mutate(raw: Buffer, rng: Rng): Buffer {
  let text = raw.toString("latin1");
  for (let i = 0, n = rng.chance(0.7) ? 1 : 2; i < n; i++) {
    const r = rng.next();
    if (r < 0.2) text = text.replace(/^[^\r\n]*/, rng.pick(LINES));
    else if (r < 0.45) {
      const at = text.indexOf("\r\n") + 2;
      text = `${text.slice(0, at)}${rng.pick(HEADERS)}\r\n${text.slice(at)}`;
    } else if (r < 0.55) text = text.replace(/\r\n0\r\n/, rng.pick(["\r\nzz\r\n", "\r\n-1\r\n", "\r\nffffffffffffffffff\r\n", "\r\n0;ext=1\r\n", "\r\n"]));
    else if (r < 0.62) text = text.replaceAll("\r\n", rng.pick(["\n", "\r", "\r\r\n"]));
    else if (r < 0.72) text = text.slice(0, rng.int(text.length));
    else if (r < 0.85) {
      const b = Buffer.from(text, "latin1");
      for (let k = 0, m = 1 + rng.int(3); k < m; k++) {
        const at = rng.int(b.length);
        b[at] = b[at]! ^ (1 << rng.int(8));
      }
      text = b.toString("latin1");
    } else if (r < 0.95) {
      const at = rng.int(text.length + 1);
      text = text.slice(0, at) + rng.bytes(1 + rng.int(40)).toString("latin1") + text.slice(at);
    } else text = rng.bytes(1 + rng.int(200)).toString("latin1");
  }
  return Buffer.from(text, "latin1");
}

export async function fuzzDataPlane(opts: { port: number; host: string; seed: number; inputs: number; hangMs?: number; progress?: (done: number) => void }): Promise<DataPlaneFuzzResult> {
  const seed = (opts.seed ^ hash32("data-plane")) >>> 0;
  const root = new Rng(seed);
  const counts: DataPlaneFuzzResult["counts"] = { inputs: 0, answered: 0, closedWithoutAnswer: 0, byStatus: {}, failures: 0 };
  const findings: DataPlaneFuzzResult["findings"] = [];
  for (let i = 0; i < opts.inputs; i++) {
    const rng = root.fork(i);
    const valid = validRequest(rng, opts.host);
    const sent = rng.chance(0.9) ? mutate(valid, rng) : valid;
    const got = await exchange(opts.port, sent, opts.hangMs ?? 10_000);
    counts.inputs++;
    let what: string | undefined;
    if (got.hang) what = `no answer and no close within ${opts.hangMs ?? 10_000} ms (got ${JSON.stringify(got.text.slice(0, 100))})`;
    else if (got.text.length > 0) {
      const statuses = [...got.text.matchAll(/(?:^|\r\n\r\n|\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => m[1]!);
      if (!/^HTTP\/1\.[01] \d{3} /.test(got.text)) what = `answer without a status line: ${JSON.stringify(got.text.slice(0, 100))}`;
      else if (statuses.includes("500")) what = `500 from the data plane: ${JSON.stringify(got.text.slice(0, 300))}`;
      for (const s of statuses) counts.byStatus[s] = (counts.byStatus[s] ?? 0) + 1;
      counts.answered++;
    } else counts.closedWithoutAnswer++;
    if (what) {
      counts.failures++;
      findings.push({ seed, input: i, what, request: JSON.stringify(sent.toString("latin1").slice(0, 400)) });
    }
    if ((i + 1) % 1000 === 0) opts.progress?.(i + 1);
  }
  return { counts, findings };
}

/**
 * Sends `data` and collects the answer. Once bytes have come back and the line goes quiet (or the
 * listener closes), the exchange is over. If nothing comes back at first, the client half-closes
 * (an incomplete request then has nothing more to wait for) and the listener must close or answer
 * within `hangMs`.
 */
function exchange(port: number, data: Buffer, hangMs: number): Promise<{ text: string; hang: boolean }> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    let halfClosed = false;
    const finish = (hang: boolean) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ text, hang });
    };
    sock.setTimeout(QUIET_MS, () => {
      if (text.length > 0) return finish(false);
      if (halfClosed) return finish(true);
      halfClosed = true;
      sock.end();
      sock.setTimeout(hangMs);
    });
    sock.on("connect", () => sock.write(data));
    sock.on("data", (d) => {
      if (text.length < 100_000) text += d.toString("latin1");
      sock.setTimeout(QUIET_MS);
    });
    sock.on("error", () => finish(false));
    sock.on("close", () => finish(false));
  });
}

/** How long a quiet line means "the answer is complete" (or "nothing is coming: half-close"). */
const QUIET_MS = 150;
