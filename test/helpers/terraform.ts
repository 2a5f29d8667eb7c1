/** Shared by the Terraform end-to-end test and bench/terraform-cycle.ts. */
import { request } from "node:http";
import type { LookupFunction } from "node:net";

/** A Terraform CLI configuration that installs providers only from the filesystem mirror. */
export function terraformCliConfig(mirror: string): string {
  return `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["*/*"]
  }
}
`;
}

/** `*.localhost` names resolve to loopback (RFC 6761), as browsers and systemd-resolved do; glibc does not. */
export const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  if (!hostname.endsWith(".localhost")) {
    callback(new Error(`refusing to resolve ${hostname}: not a .localhost name`), "", 4);
    return;
  }
  if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

/** GET http://<dnsName>:<port>/path through the ALB listener, one connection per request. */
export function albGet(dnsName: string, port: number, path = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: dnsName, port, path, lookup: loopbackLookup, agent: false, timeout: 3000, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}
