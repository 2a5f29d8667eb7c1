import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChunkedDecoder, type HeadResult, parseResponseHead } from "./http1.ts";

const parse = (s: string, method = "GET"): HeadResult => parseResponseHead(Buffer.from(s, "latin1"), 0, method, 32 * 1024);
const head = (s: string, method = "GET") => {
  const r = parse(s, method);
  assert.ok(r?.ok, `parsed: ${JSON.stringify(r)}`);
  return r.head;
};
const error = (s: string) => {
  const r = parse(s);
  assert.ok(r && !r.ok, `refused: ${JSON.stringify(r)}`);
  return r.error;
};

describe("parseResponseHead", () => {
  it("reads CRLF and bare-LF heads alike", () => {
    const crlf = head("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
    assert.deepEqual([crlf.status, crlf.reason, crlf.headers, crlf.framing, crlf.length, crlf.close], [200, "OK", ["Content-Type", "text/plain", "Content-Length", "5"], "length", 5, false]);
    const lf = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nhello");
    assert.ok(lf?.ok);
    assert.equal(lf.consumed, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\n".length);
    assert.deepEqual([lf.head.framing, lf.head.close], ["close", true], "no length: the body ends when the target closes");
    assert.equal(head("HTTP/1.1 204 No Content\n\n").framing, "none");
  });

  it("waits for more bytes until the empty line", () => {
    assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Le"), undefined);
    assert.equal(parse("HTTP/1.1 200 OK\r\nA: b\r\n\r"), undefined);
    assert.equal(parse("HTTP/1.1 200 OK\n"), undefined);
  });

  it("repairs obs-fold and whitespace before the colon; accepts a missing reason", () => {
    const h = head("HTTP/1.1 200\r\nX-A: one\r\n  two\r\nX-B : b\r\nContent-Length: 0\r\n\r\n");
    assert.equal(h.reason, "");
    assert.deepEqual(h.headers, ["X-A", "one two", "X-B", "b", "Content-Length", "0"]);
  });

  it("framing: chunked wins over Content-Length (which is dropped) and the connection is not reused", () => {
    const h = head("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert.deepEqual([h.framing, h.close, h.headers], ["chunked", true, ["Transfer-Encoding", "chunked"]]);
    assert.equal(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").framing, "close");
    assert.equal(head("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n").length, 5);
    assert.equal(head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD").framing, "none");
    assert.equal(head("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").framing, "none");
    assert.equal(head("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").close, true);
    assert.equal(head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n").close, false);
    assert.equal(head("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n").close, true);
  });

  it("refuses what cannot be relayed safely", () => {
    assert.match(error("HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n"), /invalid status/);
    assert.match(error("HTTP/1.1 200 O\x7fK\r\nContent-Length: 0\r\n\r\n"), /reason phrase/);
    assert.match(error("HTTP/2.0 200 OK\r\n\r\n"), /status line/);
    assert.match(error("NOT HTTP AT ALL\r\n\r\n"), /status line/);
    assert.match(error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), /conflicting Content-Length/);
    assert.match(error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), /invalid Content-Length/);
    assert.match(error("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"), /invalid header name/);
    assert.match(error("HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n"), /invalid character/);
    assert.match(error("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), /without a colon/);
    assert.match(error(`HTTP/1.1 200 OK\r\nX: ${"x".repeat(40 * 1024)}\r\n\r\n`), /too large/);
    assert.match(error(`HTTP/1.1 200 OK\r\nX: ${"x".repeat(40 * 1024)}`), /too large/, "refused before the end arrives");
  });
});

describe("ChunkedDecoder", () => {
  const decode = (...parts: string[]) => {
    const d = new ChunkedDecoder();
    let out = "";
    let rest = "";
    for (const p of parts) {
      const buf = Buffer.from(p, "latin1");
      const n = d.push(buf, 0, (b) => (out += b.toString("latin1")));
      if (typeof n === "string") return { error: n };
      rest += p.slice(n);
    }
    return { out, done: d.done, rest };
  };

  it("decodes across arbitrary splits, with extensions, trailers and bare LF", () => {
    assert.deepEqual(decode("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT"), { out: "hello world", done: true, rest: "NEXT" });
    assert.deepEqual(decode("5\nhel", "lo\n0\n\n"), { out: "hello", done: true, rest: "" });
    assert.deepEqual(decode("a\r\n0123", "456789\r", "\n0\r", "\n\r\n"), { out: "0123456789", done: true, rest: "" });
    assert.deepEqual(decode("5\r\nhello\r\n"), { out: "hello", done: false, rest: "" });
  });

  it("refuses bad sizes and missing line ends", () => {
    assert.match(decode("zz\r\n").error ?? "", /invalid chunk size/);
    assert.match(decode("1234567890123\r\n").error ?? "", /invalid chunk size/);
    assert.match(decode("5\r\nhelloX").error ?? "", /missing CRLF/);
  });
});
