/** Finding one EC2 resource by id, with EC2's errors: MissingParameter, `…Malformed`, `…NotFound`. */
import type { Scope } from "../../core/arn.ts";
import { checkId, missingParameter, notFound } from "./errors.ts";
import type { Ec2Record, Ec2Repo, ResourceType } from "./repo.ts";

/** Per resource type: its id prefix and the request parameter that names it. */
const KINDS: Readonly<Record<"vpc" | "subnet" | "security-group" | "internet-gateway" | "route-table" | "network-interface", { prefix: string; param: string }>> = {
  vpc: { prefix: "vpc", param: "VpcId" },
  subnet: { prefix: "subnet", param: "SubnetId" },
  "security-group": { prefix: "sg", param: "GroupId" },
  "internet-gateway": { prefix: "igw", param: "InternetGatewayId" },
  "route-table": { prefix: "rtb", param: "RouteTableId" },
  "network-interface": { prefix: "eni", param: "NetworkInterfaceId" },
};

/** The record of `type` with this id in `scope`, else EC2's error for a missing, malformed or unknown id. */
export function requireResource<D, S = unknown>(
  repo: Ec2Repo,
  scope: Scope,
  type: keyof typeof KINDS,
  id: string | undefined,
): Ec2Record<D, S> {
  const { prefix, param } = KINDS[type];
  if (!id) throw missingParameter(param);
  checkId(prefix, id);
  const rec = repo.get<D, S>(scope, id);
  if (!rec || rec.type !== type) notFound(prefix, id);
  return rec;
}
