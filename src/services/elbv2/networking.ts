/**
 * What load balancers need from EC2: a narrow port, so ELBv2 knows nothing of the EC2 module
 * (src/server/slipway.ts adapts Ec2 to it).
 *
 * As for awsvpc tasks (src/services/ecs/networking.ts): when at least one of a load balancer's
 * subnets exists in EC2, its subnets and security groups are checked as AWS checks them, it takes
 * the subnets' VPC and zones (and the VPC's default security group when given none), and it gets
 * one ENI per subnet (description `ELB app/NAME/ID`), so DeleteSecurityGroup fails with
 * DependencyViolation while it exists. When none is known (placeholder ids), it keeps placeholder
 * zones and VPC and has no ENIs.
 */
import type { Scope } from "../../core/arn.ts";

export interface LoadBalancerIdentity {
  readonly name: string;
  /** The last part of the ARN (`app/NAME/ID`). */
  readonly id: string;
}

export interface LoadBalancerNetworking {
  /** A subnet EC2 knows (no side effects), else undefined. */
  subnet(scope: Scope, subnetId: string): { vpcId: string; zoneName: string } | undefined;
  /** The VPC of a security group EC2 knows (no side effects), else undefined. */
  securityGroupVpc(scope: Scope, groupId: string): string | undefined;
  /** The id of the VPC's `default` security group. */
  defaultSecurityGroup(scope: Scope, vpcId: string): string;
  /** The load balancer's ENI in each subnet with these groups (made or updated; idempotent). */
  attach(scope: Scope, lb: LoadBalancerIdentity, subnetIds: readonly string[], securityGroupIds: readonly string[]): void;
  /** Deletes its ENIs except those in `keepSubnetIds` (idempotent). */
  release(scope: Scope, lb: LoadBalancerIdentity, keepSubnetIds?: readonly string[]): void;
}
