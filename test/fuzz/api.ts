/**
 * Fuzzing the AWS APIs: per protocol, inputs made from valid calls of random operations (corpus.ts)
 * and mutated (mutate.ts), sent through the gateway. Every answer must be in the protocol's shape:
 * a 2xx with a parseable body, or an error the SDKs can read (JSON `__type` and x-amzn-ErrorType;
 * awsQuery `<ErrorResponse><Error><Code>`; EC2 `<Response><Errors><Error><Code>`), never a 5xx
 * (501 for an operation Slipway does not implement is counted apart), never a hang, and nothing
 * logged as an internal failure.
 */
import type { Gateway } from "../../src/aws/gateway.ts";
import type { WireResponse } from "../../src/aws/protocol/index.ts";
import type { Protocol } from "../../src/aws/service.ts";
import { systemClock } from "../../src/core/clock.ts";
import { type FuzzService, fuzzServices, type Pools, validCall, type WireCall } from "./corpus.ts";
import { cbor } from "@smithy/core/cbor";
import { protocolsOf } from "../../src/aws/routing.ts";
import { mutateCborCall } from "./cbor.ts";
import { mutateFormCall, mutateJsonCall } from "./mutate.ts";
import { hash32, Rng } from "./rng.ts";

export interface Finding {
  readonly protocol: string;
  readonly seed: number;
  readonly input: number;
  readonly what: string;
  readonly request: string;
}

export interface ProtocolCounts {
  inputs: number;
  ok2xx: number;
  err4xx: number;
  notImplemented: number;
  failures: number;
}

export interface ApiFuzzResult {
  readonly counts: Record<string, ProtocolCounts>;
  readonly findings: Finding[];
}

export interface ApiFuzzOptions {
  readonly gateway: Gateway;
  readonly pools: Pools;
  readonly seed: number;
  readonly inputsPerProtocol: number;
  /** Log lines the server wrote since the run began (checked for internal failures). */
  readonly logged: () => readonly string[];
  /** A call that takes longer than this is a hang. Default 10 s. */
  readonly hangMs?: number;
  /** Protocols to fuzz (default: every protocol a registered service speaks). */
  readonly protocols?: readonly Protocol[];
  /** Called every 1,000 inputs (progress for long runs). */
  readonly progress?: (protocol: string, done: number) => void;
  /** The server's URL: every tenth input goes over HTTP (the socket path: body reading, headers). */
  readonly url?: string;
  /** Hears every answer (statistics of a long run: which errors the inputs met). */
  readonly onAnswer?: (protocol: string, operation: string, mutated: boolean, reply: WireResponse) => void;
}

export async function fuzzApi(opts: ApiFuzzOptions): Promise<ApiFuzzResult> {
  const services = fuzzServices(opts.gateway.services).filter((s) => s.operations.length > 0);
  // Every protocol a service answers (CloudWatch: awsJson1_0, awsQuery and smithy-rpc-v2-cbor).
  const byProtocol = new Map<Protocol, FuzzService[]>();
  for (const s of services) for (const p of protocolsOf(s.def)) byProtocol.set(p, [...(byProtocol.get(p) ?? []), s]);
  const counts: Record<string, ProtocolCounts> = {};
  const findings: Finding[] = [];
  for (const [protocol, list] of byProtocol) {
    if (opts.protocols && !opts.protocols.includes(protocol)) continue;
    const c: ProtocolCounts = (counts[protocol] = { inputs: 0, ok2xx: 0, err4xx: 0, notImplemented: 0, failures: 0 });
    const seed = (opts.seed ^ hash32(protocol)) >>> 0;
    const root = new Rng(seed);
    for (let i = 0; i < opts.inputsPerProtocol; i++) {
      const rng = root.fork(i);
      const svc = rng.pick(list);
      const operation = rng.pick(svc.operations);
      const { call, json: jsonTwin } = validCall(svc, operation, rng, opts.pools, protocol);
      const json = protocol === "awsJson1_0" || protocol === "awsJson1_1";
      const mutated = rng.chance(0.9);
      const sent = !mutated ? call : protocol === "rpcv2Cbor" ? mutateCborCall(call, jsonTwin, rng) : json ? mutateJsonCall(call, rng) : mutateFormCall(call, rng);
      const logBefore = opts.logged().length;
      const problem = await check(opts.gateway, sent, opts.hangMs ?? 10_000, i % 10 === 9 ? opts.url : undefined);
      if (problem.reply) opts.onAnswer?.(protocol, operation, mutated, problem.reply);
      c.inputs++;
      const internal = opts.logged().slice(logBefore).find((l) => /internal failure|gateway failure|uncaught|^warning:/i.test(l));
      const what = problem.failure ?? (internal ? `logged: ${internal.slice(0, 300)}` : undefined);
      if (what) {
        c.failures++;
        findings.push({ protocol, seed, input: i, what: `${svc.def.signingName}.${operation}: ${what}`, request: describe(sent) });
      } else if (problem.status === 501) c.notImplemented++;
      else if (problem.status < 300) c.ok2xx++;
      else c.err4xx++;
      if ((i + 1) % 1000 === 0) opts.progress?.(protocol, i + 1);
    }
  }
  return { counts, findings };
}

async function check(gateway: Gateway, call: WireCall, hangMs: number, url?: string): Promise<{ status: number; failure?: string; reply?: WireResponse }> {
  if (url) {
    const overHttp = await viaHttp(url, call, hangMs);
    if (overHttp !== "not-sendable") return overHttp;
  }
  const stop = new AbortController();
  const watchdog = systemClock.sleep(hangMs, stop.signal).then(
    () => "hang" as const,
    () => "stopped" as const,
  );
  let reply: WireResponse | "hang";
  try {
    reply = await Promise.race([gateway.invoke({ method: call.method, url: call.url, headers: call.headers, body: call.body }), watchdog.then(() => "hang" as const)]);
  } catch (err) {
    return { status: 0, failure: `invoke threw: ${(err as Error).stack ?? String(err)}` };
  } finally {
    stop.abort();
  }
  if (reply === "hang") return { status: 0, failure: `no answer within ${hangMs} ms` };
  const shape = shapeProblem(reply);
  if (reply.status >= 500 && reply.status !== 501) return { status: reply.status, failure: `status ${reply.status}: ${reply.body.slice(0, 300)}`, reply };
  if (shape) return { status: reply.status, failure: shape, reply };
  return { status: reply.status, reply };
}

/** The same call over a socket; "not-sendable" when fetch refuses its headers or method. */
async function viaHttp(url: string, call: WireCall, hangMs: number): Promise<{ status: number; failure?: string; reply?: WireResponse } | "not-sendable"> {
  const headers = new Headers();
  try {
    for (const [k, v] of Object.entries(call.headers)) {
      if (k === "host") continue;
      for (const x of Array.isArray(v) ? v : [v]) headers.append(k, x);
    }
  } catch {
    return "not-sendable";
  }
  let res: Response;
  try {
    res = await fetch(`${url}${call.url}`, {
      method: call.method,
      headers,
      body: call.method === "GET" || call.method === "HEAD" ? undefined : new Uint8Array(call.body),
      signal: AbortSignal.timeout(hangMs),
    });
  } catch (err) {
    if ((err as Error).name === "TimeoutError") return { status: 0, failure: `no answer within ${hangMs} ms (over HTTP)` };
    return "not-sendable";
  }
  const raw = Buffer.from(await res.arrayBuffer());
  const binary = (res.headers.get("content-type") ?? "").startsWith("application/cbor");
  const body = binary ? "" : raw.toString("utf8");
  const reply: WireResponse = { status: res.status, headers: Object.fromEntries(res.headers), body, ...(binary ? { bytes: new Uint8Array(raw) } : {}) };
  // Refused by the HTTP layer before there was a request to route (a request line or headers past
  // Node's limits): a bare status, as any HTTP server answers it. Not an API answer.
  if ([400, 408, 413, 414, 431].includes(res.status) && raw.length === 0 && res.headers.get("connection") === "close") return { status: res.status, reply };
  if (reply.status >= 500 && reply.status !== 501) return { status: reply.status, failure: `status ${reply.status} (over HTTP): ${body.slice(0, 300)}`, reply };
  const shape = shapeProblem(reply);
  return shape ? { status: reply.status, failure: `${shape} (over HTTP)`, reply } : { status: reply.status, reply };
}

/** What is wrong with the shape of an answer, if anything. */
export function shapeProblem(reply: WireResponse): string | undefined {
  const type = reply.headers["content-type"] ?? "";
  if (type.startsWith("application/cbor")) {
    // An operation without output answers an empty body (smithy-rpc-v2-cbor).
    if (reply.status < 300 && (reply.bytes?.byteLength ?? 0) === 0) return undefined;
    let body: unknown;
    try {
      body = cbor.deserialize(reply.bytes ?? new Uint8Array());
    } catch {
      return "unparseable CBOR answer";
    }
    if (reply.headers["smithy-protocol"] !== "rpc-v2-cbor") return "CBOR answer without smithy-protocol: rpc-v2-cbor";
    // A 2xx is a map, or null / nothing for an operation without output.
    if (reply.status < 300) return typeof body === "object" || body === undefined ? undefined : "CBOR answer is not a map";
    const t = (body as { __type?: unknown }).__type;
    return typeof t === "string" && t !== "" ? undefined : "CBOR error without __type";
  }
  if (type.startsWith("application/x-amz-json-")) {
    let body: unknown;
    try {
      body = JSON.parse(reply.body);
    } catch {
      return `unparseable JSON answer: ${reply.body.slice(0, 200)}`;
    }
    if (reply.status < 300) return typeof body === "object" && body !== null ? undefined : "JSON answer is not an object";
    const t = (body as { __type?: unknown }).__type;
    if (typeof t !== "string" || t === "") return `JSON error without __type: ${reply.body.slice(0, 200)}`;
    if (reply.headers["x-amzn-errortype"] !== t) return `x-amzn-errortype ${reply.headers["x-amzn-errortype"]} ≠ __type ${t}`;
    return undefined;
  }
  if (type.startsWith("text/xml")) {
    if (!reply.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>')) return "XML answer without a declaration";
    if (reply.status < 300) return undefined;
    const query = /^<\?xml[^>]*\?><ErrorResponse[^>]*><Error><Type>(Sender|Receiver)<\/Type><Code>[^<]+<\/Code><Message>[^<]*<\/Message>/.test(reply.body);
    const ec2 = /^<\?xml[^>]*\?><Response><Errors><Error><Code>[^<]+<\/Code><Message>[^<]*<\/Message><\/Error><\/Errors><RequestID>[^<]+<\/RequestID><\/Response>$/.test(reply.body);
    return query || ec2 ? undefined : `XML error in neither awsQuery's nor EC2's shape: ${reply.body.slice(0, 200)}`;
  }
  return `answer with content-type ${JSON.stringify(type)}`;
}

function describe(call: WireCall): string {
  const headers = Object.entries(call.headers)
    .map(([k, v]) => `${k}: ${String(v).slice(0, 200)}`)
    .join("\n");
  const body = call.body.length > 600 ? `${call.body.subarray(0, 600).toString("latin1")}… (${call.body.length} bytes)` : call.body.toString("latin1");
  return `${call.method} ${call.url.slice(0, 300)}\n${headers}\n\n${body}`;
}
