/**
 * End-to-end: a target that answers the way busybox httpd runs CGI scripts (status line with CRLF,
 * the script's headers ending in a bare LF, a body delimited by the connection closing) answers 200
 * through the ALB, as it does when curled directly. Real Docker container (slipway-test/cgi,
 * published on 127.0.0.1) registered as an instance target (the host at the published port), set up with the AWS CLI.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { awsCliAvailable, freePort, pollUntil } from "../helpers/slipway-process.ts";
import { albRequest, createAlb, createTargetGroup, type Env, forwardTo, startEnv, targetHealth, waitForStatus, DATA_PLANE, dataPlaneAvailable } from "./alb-harness.ts";

const run = promisify(execFile);
const skip = (await dockerAvailable()) ?? (await awsCliAvailable()) ?? (await dataPlaneAvailable());
if (skip) console.log(`# skipping ALB CGI-target e2e: ${skip}`);

function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => resolve(out));
    s.on("error", reject);
    s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

describe(`ALB in front of a busybox httpd CGI target (bare-LF headers, body until close) [${DATA_PLANE} data plane]`, { skip, timeout: 120_000 }, () => {
  let env: Env | undefined;
  let container = "";

  before(async () => {
    await ensureTestImages();
    const { stdout } = await run("docker", ["run", "-d", "--rm", "--label", "slipway-test=alb-cgi", "-p", "127.0.0.1::8080", TEST_IMAGES.cgi]);
    container = stdout.trim();
    env = await startEnv("slipway-e2e-alb-cgi-");
  });

  after(async () => {
    await env?.close();
    if (container) await run("docker", ["rm", "-f", container]).catch(() => {});
  });

  test("answers 200 through the listener, exactly as the container answers directly", async () => {
    const e = env!;
    const hostPort = Number((await run("docker", ["port", container, "8080/tcp"])).stdout.trim().split("\n")[0]!.split(":").pop());
    const direct = await pollUntil(async () => {
      const r = await rawGet(hostPort, "/").catch(() => "");
      return r.startsWith("HTTP/1.1 200") ? r : undefined;
    }, { timeoutMs: 20_000, what: "the CGI container to answer" });
    assert.match(direct, /^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\n\ncgi from \S+\n$/, "the container really sends bare-LF headers and no length");

    // An instance target is the host (127.0.0.1) at its port: a loopback address is refused as an
    // ip target, as AWS refuses it.
    const tgArn = await createTargetGroup(e, `cgi-${process.pid}`, { interval: 5, healthyThreshold: 2, path: "/cgi-bin/index.cgi", targetType: "instance" });
    const alb = await createAlb(e, `cgi-${process.pid}`, await freePort(), forwardTo(tgArn));
    await e.elb("register-targets", "--target-group-arn", tgArn, "--targets", `Id=i-0123456789abcdef0,Port=${hostPort}`);
    // Health checks read the same bare-LF response.
    await pollUntil(async () => (await targetHealth(e, tgArn))[0]?.TargetHealth.State === "healthy", { timeoutMs: 30_000, what: "the CGI target to be healthy" });
    const r = await waitForStatus(alb.port, alb.dnsName, 200, 10_000);
    assert.match(r.body, /^cgi from \S+\n$/);
    assert.equal(r.headers["content-type"], "text/plain");
    for (let i = 0; i < 3; i++) assert.equal((await albRequest(alb.port, alb.dnsName, "/")).status, 200);
  });
});
