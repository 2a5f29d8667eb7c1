/** Finding one EC2 resource by id, with EC2's errors: MissingParameter, `…Malformed`, `…NotFound`. */
import type { Scope } from "../../core/arn.ts";
import { checkId, missingParameter, notFound } from "./errors.ts";
import type { Ec2Record, Ec2Repo, ResourceType } from "./repo.ts";

/** Per resource type: its id prefix and the request parameter that names it. */
const KINDS: Readonly<Record<Exclude<ResourceType, "dhcp-options">, { prefix: string; param: string }>> = {
  vpc: { prefix: "vpc", param: "vpcId" },
  subnet: { prefix: "subnet", param: "subnetId" },
  "security-group": { prefix: "sg", param: "groupId" },
  "internet-gateway": { prefix: "igw", param: "internetGatewayId" },
  "route-table": { prefix: "rtb", param: "routeTableId" },
  "network-interface": { prefix: "eni", param: "networkInterfaceId" },
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
