/**
 * Test ServiceDefinitions over the real SDK models whose handlers echo their input or return canned
 * objects, so the wire layer is tested without the service domains. `calls` records handler inputs.
 */
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecs from "@aws-sdk/client-ecs";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import { defineHandlers } from "../../src/aws/define-service.ts";
import type { RequestContext, ServiceDefinition } from "../../src/aws/service.ts";
import { ServiceError } from "../../src/aws/service-error.ts";

export interface Recorder {
  readonly calls: Array<{ operation: string; input: unknown; ctx: RequestContext }>;
}

export const CREATED_AT = new Date(1733318615211);

export function echoEcs(rec: Recorder): ServiceDefinition {
  const handlers = defineHandlers<ecs.ECS>()({
    RegisterTaskDefinition: (input, ctx) => {
      rec.calls.push({ operation: "RegisterTaskDefinition", input, ctx });
      return {
        taskDefinition: {
          family: input.family,
          revision: 1,
          containerDefinitions: input.containerDefinitions,
          requiresCompatibilities: input.requiresCompatibilities,
          registeredAt: CREATED_AT,
          cpu: input.cpu,
          status: "ACTIVE",
        },
        tags: input.tags,
      };
    },
    CreateService: async (input, ctx) => {
      rec.calls.push({ operation: "CreateService", input, ctx });
      return {
        service: {
          serviceName: input.serviceName,
          serviceArn: `arn:aws:ecs:${ctx.region}:${ctx.accountId}:service/default/${input.serviceName}`,
          desiredCount: input.desiredCount,
          launchType: input.launchType,
          deploymentConfiguration: input.deploymentConfiguration,
          networkConfiguration: input.networkConfiguration,
          loadBalancers: input.loadBalancers,
          enableExecuteCommand: input.enableExecuteCommand,
          createdAt: CREATED_AT,
          deployments: [{ id: "ecs-svc/1", status: "PRIMARY", createdAt: CREATED_AT, updatedAt: CREATED_AT, runningCount: 0 }],
        },
      };
    },
    DescribeClusters: (input) => {
      if (input.clusters?.includes("missing")) throw new ServiceError("ClusterNotFoundException", "Cluster not found.");
      return { clusters: [], failures: (input.clusters ?? []).map((arn) => ({ arn, reason: "MISSING" })) };
    },
    UpdateService: () => {
      throw new Error("boom: a bug in the handler");
    },
    RunTask: () => {
      throw new ServiceError("ConflictException", "The clientToken was already used.", { fields: { resourceIds: ["arn:task/1"] } });
    },
    ListClusters: (_input, ctx) => ({ clusterArns: [`arn:aws:ecs:${ctx.region}:${ctx.accountId}:cluster/default`] }),
  });
  return {
    signingName: "ecs",
    protocol: "awsJson1_1",
    targetPrefix: "AmazonEC2ContainerServiceV20141113",
    model: ecs,
    handlers,
  };
}

export const ELBV2_NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

export function echoElbv2(rec: Recorder): ServiceDefinition {
  return {
    signingName: "elasticloadbalancing",
    protocol: "awsQuery",
    version: "2015-12-01",
    xmlNamespace: ELBV2_NAMESPACE,
    model: elbv2,
    handlers: {
      CreateLoadBalancer: (input: elbv2.CreateLoadBalancerInput, ctx: RequestContext): elbv2.CreateLoadBalancerOutput => {
        rec.calls.push({ operation: "CreateLoadBalancer", input, ctx });
        if (input.Name === "taken") {
          throw new ServiceError("DuplicateLoadBalancerNameException", "A load balancer with the same name 'taken' exists");
        }
        return {
          LoadBalancers: [
            {
              LoadBalancerName: input.Name,
              LoadBalancerArn: `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.accountId}:loadbalancer/app/${input.Name}/1`,
              CreatedTime: CREATED_AT,
              Scheme: input.Scheme,
              Type: input.Type,
              State: { Code: "provisioning" },
              SecurityGroups: input.SecurityGroups,
              AvailabilityZones: (input.Subnets ?? []).map((SubnetId, i) => ({ SubnetId, ZoneName: `us-east-1${"abc"[i] ?? "z"}` })),
            },
          ],
        };
      },
      DescribeTargetHealth: (input: elbv2.DescribeTargetHealthInput, ctx: RequestContext): elbv2.DescribeTargetHealthOutput => {
        rec.calls.push({ operation: "DescribeTargetHealth", input, ctx });
        return {
          TargetHealthDescriptions: (input.Targets ?? []).map((Target) => ({
            Target,
            HealthCheckPort: String(Target.Port ?? 80),
            TargetHealth: { State: "healthy" },
          })),
        };
      },
      ModifyLoadBalancerAttributes: (input: elbv2.ModifyLoadBalancerAttributesInput, ctx: RequestContext) => {
        rec.calls.push({ operation: "ModifyLoadBalancerAttributes", input, ctx });
        return { Attributes: input.Attributes };
      },
      DescribeLoadBalancers: (input: elbv2.DescribeLoadBalancersInput): elbv2.DescribeLoadBalancersOutput => {
        if (input.Names?.includes("missing")) throw new ServiceError("LoadBalancerNotFound", "One or more load balancers not found");
        return { LoadBalancers: [] };
      },
      DescribeTags: (input: elbv2.DescribeTagsInput): elbv2.DescribeTagsOutput => ({
        TagDescriptions: (input.ResourceArns ?? []).map((ResourceArn) => ({ ResourceArn, Tags: [{ Key: "service", Value: "elbv2" }] })),
      }),
    },
  };
}

export const EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

export function echoEc2(rec: Recorder): ServiceDefinition {
  return {
    signingName: "ec2",
    protocol: "ec2Query",
    version: "2016-11-15",
    xmlNamespace: EC2_NAMESPACE,
    model: ec2,
    handlers: {
      DescribeVpcs: (input: ec2.DescribeVpcsRequest, ctx: RequestContext): ec2.DescribeVpcsResult => {
        rec.calls.push({ operation: "DescribeVpcs", input, ctx });
        return {
          Vpcs: (input.VpcIds ?? []).map((VpcId) => ({
            VpcId,
            CidrBlock: "10.0.0.0/16",
            IsDefault: VpcId === "vpc-default",
            State: "available",
            Tags: (input.Filters ?? []).map((f) => ({ Key: f.Name, Value: (f.Values ?? []).join(",") })),
          })),
        };
      },
      DescribeSecurityGroups: (input: ec2.DescribeSecurityGroupsRequest): ec2.DescribeSecurityGroupsResult => {
        throw new ServiceError("InvalidGroup.NotFound", `The security group '${input.GroupIds?.[0]}' does not exist`, { status: 400 });
      },
      DescribeTags: (): ec2.DescribeTagsResult => ({ Tags: [{ Key: "service", Value: "ec2", ResourceId: "i-1", ResourceType: "instance" }] }),
    },
  };
}
