/**
 * What awsvpc tasks need from EC2: a narrow port, so ECS knows nothing of the EC2 module
 * (src/server/slipway.ts adapts Ec2 to it).
 *
 * Which network configurations are "real": when at least one of a task's subnets exists in EC2,
 * the configuration is checked as ECS checks it (every subnet and security group must exist and
 * the groups must be in the subnets' VPC; else InvalidParameterException with ECS's text) and the
 * task gets an ENI in its first subnet with its security groups. When none of the subnets is
 * known to EC2 (placeholder ids such as `subnet-1` or `subnet-0123456789abcdef0`, common in local
 * scripts and tests) the task runs as before, with no ENI and no checks: Slipway's tasks do not
 * need an EC2 network to run, so rejecting them would only break such scripts.
 */
import type { NetworkConfiguration } from "@aws-sdk/client-ecs";
import type { Scope } from "../../core/arn.ts";
import { invalidParameter } from "./errors.ts";

export interface TaskNetworkInterface {
  readonly networkInterfaceId: string;
  readonly macAddress?: string | undefined;
}

export interface TaskNetworking {
  /** The VPC of a subnet EC2 knows, or undefined. Has no side effects. */
  subnetVpc(scope: Scope, subnetId: string): string | undefined;
  /** The VPC of a security group EC2 knows, or undefined. Has no side effects. */
  securityGroupVpc(scope: Scope, groupId: string): string | undefined;
  /** The task attachment's ENI in `subnetId` (made if missing; idempotent). */
  attach(scope: Scope, req: { attachmentId: string; subnetId: string; securityGroupIds: readonly string[] }): TaskNetworkInterface;
  /** Deletes the attachment's ENI, if any (idempotent). */
  release(scope: Scope, attachmentId: string): void;
  /** Every task ENI's attachment id, by scope (the orphan sweep). */
  attachments(): { scope: Scope; attachmentId: string }[];
}

/**
 * ECS's checks of an awsvpc configuration against EC2. Returns the subnet and groups to attach,
 * or undefined when the configuration names no subnet EC2 knows (the lenient case above).
 */
export function checkAwsvpc(
  net: TaskNetworking | undefined,
  scope: Scope,
  nc: NetworkConfiguration | undefined,
): { subnetId: string; securityGroupIds: string[] } | undefined {
  const cfg = nc?.awsvpcConfiguration;
  const subnets = cfg?.subnets ?? [];
  if (!net || !subnets.length) return undefined;
  const vpcs = subnets.map((s) => net.subnetVpc(scope, s));
  if (vpcs.every((v) => v === undefined)) return undefined;
  subnets.forEach((s, i) => {
    if (vpcs[i] === undefined) throw retrievalError("subnet", s, `The subnet ID '${s}' does not exist`, "InvalidSubnetID.NotFound");
  });
  const vpc = vpcs[0]!;
  if (vpcs.some((v) => v !== vpc)) throw invalidParameter("All subnets must belong to the same VPC.");
  const groups = cfg?.securityGroups ?? [];
  for (const g of groups) {
    const gv = net.securityGroupVpc(scope, g);
    if (gv === undefined) throw retrievalError("security group", g, `The security group '${g}' does not exist`, "InvalidGroup.NotFound");
    if (gv !== vpc) throw invalidParameter(`Security group ${g} does not belong to VPC ${vpc}.`);
  }
  return { subnetId: subnets[0]!, securityGroupIds: [...groups] };
}

const retrievalError = (noun: string, id: string, ec2Message: string, code: string) =>
  invalidParameter(`Error retrieving ${noun} information for [${id}]: ${ec2Message} (ErrorCode: ${code})`);
