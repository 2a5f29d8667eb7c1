/**
 * What awsvpc tasks need from EC2: a narrow port, so ECS knows nothing of the EC2 module
 * (src/server/ports.ts adapts Ec2 to it).
 *
 * Which network configurations are "real": when at least one of a task's subnets exists in EC2,
 * the configuration is checked as ECS checks it (every subnet and security group must exist and
 * the groups must be in the subnets' VPC; else InvalidParameterException with ECS's text) and the
 * task gets an ENI, with an address from its subnet, in one of its subnets: the one whose zone
 * runs the fewest tasks of the same service (or family), as ECS spreads tasks over availability
 * zones (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html).
 * When none of the subnets is known to EC2 (placeholder ids such as `subnet-1` or
 * `subnet-0123456789abcdef0`, common in local scripts and tests) the task runs as before, with no
 * ENI and no checks: Slipway's tasks do not need an EC2 network to run, so rejecting them would
 * only break such scripts.
 */
import type { NetworkConfiguration } from "@aws-sdk/client-ecs";
import type { Scope } from "../../core/arn.ts";
import { invalidParameter } from "./errors.ts";

export interface TaskNetworkInterface {
  readonly networkInterfaceId: string;
  readonly subnetId: string;
  readonly privateIpv4Address: string;
  readonly privateDnsName?: string | undefined;
  readonly macAddress?: string | undefined;
}

/** The subnet has no free address left (EC2's InsufficientFreeAddressesInSubnet). */
export class SubnetFullError extends Error {
  override name = "SubnetFullError";
}

export interface TaskNetworking {
  /** The VPC of a subnet EC2 knows, or undefined. Has no side effects. */
  subnetVpc(scope: Scope, subnetId: string): string | undefined;
  /** The availability zone of a subnet EC2 knows, or undefined. Has no side effects. */
  subnetZone(scope: Scope, subnetId: string): string | undefined;
  /** The VPC of a security group EC2 knows, or undefined. Has no side effects. */
  securityGroupVpc(scope: Scope, groupId: string): string | undefined;
  /**
   * The task attachment's ENI in `subnetId` (made if missing; idempotent), with a public address
   * when `publicIp`. Throws SubnetFullError when the subnet has no free address.
   */
  attach(
    scope: Scope,
    req: { attachmentId: string; subnetId: string; securityGroupIds: readonly string[]; publicIp: boolean },
  ): TaskNetworkInterface;
  /** Deletes the attachment's ENI, if any (idempotent). */
  release(scope: Scope, attachmentId: string): void;
  /** Every task ENI's attachment id, by scope (the orphan sweep). */
  attachments(): { scope: Scope; attachmentId: string }[];
}

/** A checked awsvpc configuration: the subnets to try (given order), the groups, the public address. */
export interface AwsvpcPlan {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly assignPublicIp: boolean;
}

/**
 * ECS's checks of an awsvpc configuration against EC2. Returns the plan, or undefined when the
 * configuration names no subnet EC2 knows (the lenient case above).
 */
export function checkAwsvpc(net: TaskNetworking | undefined, scope: Scope, nc: NetworkConfiguration | undefined): AwsvpcPlan | undefined {
  const cfg = nc?.awsvpcConfiguration;
  const subnets = [...new Set(cfg?.subnets ?? [])];
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
  return { subnetIds: subnets, securityGroupIds: [...groups], assignPublicIp: cfg?.assignPublicIp === "ENABLED" };
}

/**
 * The subnets in the order to try: the zone with the fewest of `peers` (the live tasks of the same
 * service or family) first, then the subnet with the fewest, then the order given.
 */
export function spreadOrder(net: TaskNetworking, scope: Scope, subnetIds: readonly string[], peerSubnets: readonly string[]): string[] {
  const zoneOf = (s: string) => net.subnetZone(scope, s) ?? s;
  const byZone = new Map<string, number>();
  const bySubnet = new Map<string, number>();
  for (const s of peerSubnets) {
    byZone.set(zoneOf(s), (byZone.get(zoneOf(s)) ?? 0) + 1);
    bySubnet.set(s, (bySubnet.get(s) ?? 0) + 1);
  }
  return subnetIds
    .map((s, i) => ({ s, i, z: byZone.get(zoneOf(s)) ?? 0, n: bySubnet.get(s) ?? 0 }))
    .sort((a, b) => a.z - b.z || a.n - b.n || a.i - b.i)
    .map((x) => x.s);
}

/**
 * ECS's stopped reason when no subnet has a free address
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
 */
export function noFreeAddressReason(subnetId: string, publicIp: boolean): string {
  return `Unexpected EC2 error while attempting to Create Network Interface${publicIp ? " with public IP assignment enabled" : ""} in subnet '${subnetId}': InsufficientFreeAddressesInSubnet`;
}

const retrievalError = (noun: string, id: string, ec2Message: string, code: string) =>
  invalidParameter(`Error retrieving ${noun} information for [${id}]: ${ec2Message} (ErrorCode: ${code})`);
