/**
 * End-to-end with real Terraform (hashicorp/aws from the offline mirror) against one `slipway up`:
 * two stacks of examples/terraform-https whose load balancers both listen on 80.
 *
 *   stack A  https = false: port 80 forwards to app A
 *   stack B  https = true: an aws_acm_certificate for its DNS name (DNS-validated, with
 *            aws_acm_certificate_validation), a second one for another name added with
 *            aws_lb_listener_certificate, an HTTPS listener on 443, and port 80 redirecting to
 *            HTTPS (301) except /health
 *
 * Checked: both :80 listeners are served from the same host port, each DNS name reaches its own
 * app there (never the other's), `curl --cacert <exported root> https://<DNSName>/` serves app B,
 * SNI with the second name selects the second certificate (curl verifies it), plan shows no
 * changes, destroy removes everything. The apps are two local HTTP servers registered as ip
 * targets. If 80 or 443 is taken on this machine (another test's Slipway), the listeners move to
 * their fallback ports together; the test reads the host ports from /_slipway/listeners.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { loopbackLookup, runTerraform, terraformCliConfig } from "../helpers/terraform.ts";
import { PROVIDER_MIRROR, terraformSkip } from "../helpers/terraform-workspace.ts";
import { awsCliAvailable, cleanDataDir, pollUntil, REPO_ROOT, type SlipwayProcess, startSlipwayProcess } from "../helpers/slipway-process.ts";

const run = promisify(execFile);
const EXAMPLE = join(REPO_ROOT, "examples", "terraform-https");

async function whySkip(): Promise<string | undefined> {
  const terraform = await terraformSkip();
  if (terraform) return terraform;
  try {
    await run("curl", ["--version"], { timeout: 10_000 });
  } catch {
    return "curl not usable";
  }
  return awsCliAvailable();
}

const skip = await whySkip();
if (skip) console.log(`# skipping Terraform HTTPS e2e: ${skip}`);

const SUFFIX = Date.now().toString(36).slice(-5);

class Stack {
  readonly key: string;
  readonly dir: string;
  readonly log: string;
  constructor(key: string, root: string) {
    this.key = key;
    this.dir = join(root, key);
    this.log = join(root, `${key}-terraform.log`);
    cpSync(EXAMPLE, this.dir, { recursive: true, filter: (src) => !/(\.terraform|tfstate)/.test(src) });
  }

  vars(v: Record<string, unknown>): void {
    writeFileSync(join(this.dir, "e2e.auto.tfvars.json"), JSON.stringify(v, null, 2));
  }

  async terraform(args: string[], timeoutMs: number, cliConfig: string): Promise<{ code: number; out: string }> {
    appendFileSync(this.log, `\n$ terraform ${args.join(" ")}\n`);
    const r = await runTerraform({ args, cwd: this.dir, cliConfigFile: cliConfig, timeoutMs, onOutput: (s) => appendFileSync(this.log, s) });
    if (r.timedOut) throw new Error(`terraform ${args[0]} (${this.key}) timed out\n${this.tail()}`);
    return r;
  }

  async ok(args: string[], timeoutMs: number, cliConfig: string): Promise<string> {
    const r = await this.terraform(args, timeoutMs, cliConfig);
    if (r.code !== 0) throw new Error(`terraform ${args.join(" ")} (${this.key}) exited ${r.code}\n${this.tail()}`);
    return r.out;
  }

  tail(lines = 60): string {
    const text = existsSync(this.log) ? readFileSync(this.log, "utf8") : "";
    return `--- ${this.log} ---\n${text.split("\n").slice(-lines).join("\n")}`;
  }
}

function app(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`${name} ${req.url} proto=${req.headers["x-forwarded-proto"]}`);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function httpGet(host: string, port: number, path: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, lookup: loopbackLookup, agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ...(res.headers.location ? { location: res.headers.location } : {}) }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run("curl", ["-sS", "--fail", "--max-time", "10", ...args], { timeout: 20_000 });
  return stdout;
}

interface Binding {
  listenerArn: string;
  loadBalancerArn: string;
  dnsName: string;
  protocol: string;
  port: number;
  hostPort: number;
  boundPort: number | null;
}

describe("Terraform: two stacks on port 80, HTTPS with ACM (examples/terraform-https)", { skip, timeout: 900_000 }, () => {
  let root = "";
  let slipway: SlipwayProcess | undefined;
  const apps: Server[] = [];
  let a: Stack;
  let b: Stack;
  let cli = "";
  let keep = false;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "slipway-tf-https-"));
    cli = join(root, "terraformrc");
    writeFileSync(cli, terraformCliConfig(PROVIDER_MIRROR));
    slipway = await startSlipwayProcess({ dataDir: join(root, "data") });
    const appA = await app("app A");
    const appB = await app("app B");
    apps.push(appA.server, appB.server);
    a = new Stack("a", root);
    b = new Stack("b", root);
    a.vars({ endpoint: slipway.url, name: `tfa-${SUFFIX}`, target_port: appA.port, https: false });
    b.vars({ endpoint: slipway.url, name: `tfb-${SUFFIX}`, target_port: appB.port, https: true, alternate_domain: `alt-${SUFFIX}.example.test` });
  });

  after(async () => {
    for (const s of apps) s.close();
    await slipway?.kill("SIGTERM");
    if (slipway) await cleanDataDir(slipway.dataDir);
    if (!keep) rmSync(root, { recursive: true, force: true });
    else console.log(`# kept ${root}`);
  });

  test("apply both, serve each app at its own DNS name from the same :80 host port, HTTPS with the exported root, SNI, redirect; plan clean; destroy", async () => {
    try {
      await Promise.all([a.ok(["init", "-input=false"], 120_000, cli), b.ok(["init", "-input=false"], 120_000, cli)]);
      await Promise.all([a.ok(["apply", "-auto-approve", "-input=false"], 400_000, cli), b.ok(["apply", "-auto-approve", "-input=false"], 400_000, cli)]);
      const outA = JSON.parse(await a.ok(["output", "-json"], 60_000, cli)) as Record<string, { value: string }>;
      const outB = JSON.parse(await b.ok(["output", "-json"], 60_000, cli)) as Record<string, { value: string }>;
      const dnsA = outA.alb_dns_name!.value;
      const dnsB = outB.alb_dns_name!.value;

      const listeners = ((await (await fetch(`${slipway!.url}/_slipway/listeners`)).json()) as { listeners: Binding[] }).listeners;
      const http80 = listeners.filter((l) => l.port === 80);
      assert.deepEqual(http80.map((l) => l.dnsName).sort(), [dnsA, dnsB].sort());
      assert.equal(http80[0]!.hostPort, http80[1]!.hostPort, "both :80 listeners share one host port");
      const p80 = http80[0]!.boundPort!;
      const p443 = listeners.find((l) => l.port === 443)!.boundPort!;
      if (p80 !== 80 || p443 !== 443) console.log(`# note: 80/443 taken on this machine; served on ${p80}/${p443}`);

      // Stack A on :80 serves app A; stack B's /health on :80 serves app B; the other name is never the other app.
      await pollUntil(async () => ((await httpGet(dnsA, p80, "/").catch(() => undefined))?.body.startsWith("app A") ? true : undefined), {
        timeoutMs: 60_000,
        what: `app A at http://${dnsA}:${p80}/`,
      });
      await pollUntil(async () => ((await httpGet(dnsB, p80, "/health").catch(() => undefined))?.body.startsWith("app B") ? true : undefined), {
        timeoutMs: 60_000,
        what: `app B at http://${dnsB}:${p80}/health`,
      });
      for (let i = 0; i < 5; i++) {
        assert.match((await httpGet(dnsA, p80, "/")).body, /^app A \/ proto=http$/);
        assert.match((await httpGet(dnsB, p80, "/health")).body, /^app B \/health proto=http$/);
      }
      // curl http://<B's DNS name>/ gets a 301 to https.
      const redirect = await httpGet(dnsB, p80, "/shop?x=1");
      assert.equal(redirect.status, 301);
      assert.equal(redirect.location, `https://${dnsB}:443/shop?x=1`);

      // HTTPS: the root exported by `slipway ca`, trusted by curl.
      const { stdout: rootPem } = await run(process.execPath, [join(REPO_ROOT, "bin", "slipway.js"), "ca", "--data-dir", slipway!.dataDir]);
      assert.equal(rootPem, await (await fetch(`${slipway!.url}/_slipway/ca.pem`)).text(), "CLI and endpoint export the same root");
      const caFile = join(root, "ca.pem");
      writeFileSync(caFile, rootPem);
      assert.match(await curl(["--cacert", caFile, `https://${dnsB}:${p443}/`]), /^app B \/ proto=https$/);
      // SNI: the second name gets the second certificate (curl verifies the name against it).
      const alt = `alt-${SUFFIX}.example.test`;
      assert.match(await curl(["--cacert", caFile, "--resolve", `${alt}:${p443}:127.0.0.1`, `https://${alt}:${p443}/`]), /^app B \/ proto=https$/);
      await assert.rejects(curl(["--resolve", `${alt}:${p443}:127.0.0.1`, `https://${alt}:${p443}/`]), "without the root, curl refuses the certificate");

      for (const s of [a, b]) {
        const plan = await s.terraform(["plan", "-detailed-exitcode", "-input=false"], 120_000, cli);
        assert.equal(plan.code, 0, `plan for stack ${s.key} shows no changes\n${s.tail(40)}`);
      }

      await Promise.all([a.ok(["destroy", "-auto-approve", "-input=false"], 300_000, cli), b.ok(["destroy", "-auto-approve", "-input=false"], 300_000, cli)]);
      const left = ((await (await fetch(`${slipway!.url}/_slipway/listeners`)).json()) as { listeners: Binding[] }).listeners;
      assert.deepEqual(left, []);
      const certs = JSON.parse((await run("aws", ["acm", "list-certificates", "--endpoint-url", slipway!.url, "--output", "json"], { env: { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: "us-east-1" } })).stdout);
      assert.deepEqual(certs.CertificateSummaryList, []);
    } catch (err) {
      keep = true;
      throw err;
    }
  });
});
