/**
 * Resources for fuzzed calls to name, made through the real SDK clients, so that mutated inputs
 * reach the services' domains (an input that only ever names missing resources stops at the first
 * lookup): an ECS cluster, task definition, service and task; an ECR repository; a log group and
 * stream; an IAM role, user and policy; a security group; a load balancer, target group and
 * listener; a KMS key and alias, a secret, two parameters; a metric and an alarm; a scalable
 * target. Their names, ARNs and ids are the pools the corpus draws strings from.
 */
import * as aas from "@aws-sdk/client-application-auto-scaling";
import * as cw from "@aws-sdk/client-cloudwatch";
import * as cwl from "@aws-sdk/client-cloudwatch-logs";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecr from "@aws-sdk/client-ecr";
import * as ecs from "@aws-sdk/client-ecs";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import * as iam from "@aws-sdk/client-iam";
import * as kms from "@aws-sdk/client-kms";
import * as sm from "@aws-sdk/client-secrets-manager";
import * as ssm from "@aws-sdk/client-ssm";
import type { Pools } from "./corpus.ts";
import { REGION } from "./corpus.ts";

export async function prepareWorld(url: string): Promise<Pools> {
  const cfg = { region: REGION, endpoint: url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
  const c = {
    ecs: new ecs.ECSClient(cfg),
    ecr: new ecr.ECRClient(cfg),
    logs: new cwl.CloudWatchLogsClient(cfg),
    iam: new iam.IAMClient(cfg),
    ec2: new ec2.EC2Client(cfg),
    elb: new elb.ElasticLoadBalancingV2Client(cfg),
    kms: new kms.KMSClient(cfg),
    sm: new sm.SecretsManagerClient(cfg),
    ssm: new ssm.SSMClient(cfg),
    cw: new cw.CloudWatchClient(cfg),
    aas: new aas.ApplicationAutoScalingClient(cfg),
  };
  try {
    const arns: string[] = [];
    const ids: string[] = [];
    const cluster = (await c.ecs.send(new ecs.CreateClusterCommand({ clusterName: "fuzz", tags: [{ key: "k", value: "v" }] }))).cluster!;
    arns.push(cluster.clusterArn!);
    const td = (
      await c.ecs.send(
        new ecs.RegisterTaskDefinitionCommand({
          family: "fuzz",
          containerDefinitions: [{ name: "fuzz", image: "fuzz:1", memory: 64, portMappings: [{ containerPort: 80 }], essential: true }],
        }),
      )
    ).taskDefinition!;
    arns.push(td.taskDefinitionArn!);
    const service = (await c.ecs.send(new ecs.CreateServiceCommand({ cluster: "fuzz", serviceName: "fuzz", taskDefinition: "fuzz", desiredCount: 1 }))).service!;
    arns.push(service.serviceArn!);
    const task = (await c.ecs.send(new ecs.RunTaskCommand({ cluster: "fuzz", taskDefinition: "fuzz" }))).tasks?.[0];
    if (task?.taskArn) arns.push(task.taskArn);

    arns.push((await c.ecr.send(new ecr.CreateRepositoryCommand({ repositoryName: "fuzz" }))).repository!.repositoryArn!);
    await c.logs.send(new cwl.CreateLogGroupCommand({ logGroupName: "fuzz" }));
    await c.logs.send(new cwl.CreateLogStreamCommand({ logGroupName: "fuzz", logStreamName: "fuzz" }));
    await c.logs.send(new cwl.PutLogEventsCommand({ logGroupName: "fuzz", logStreamName: "fuzz", logEvents: [{ timestamp: Date.UTC(2026, 0, 1), message: '{"level":"error","n":1}' }] }));
    arns.push(`arn:aws:logs:${REGION}:000000000000:log-group:fuzz`);

    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    arns.push((await c.iam.send(new iam.CreateRoleCommand({ RoleName: "fuzz", AssumeRolePolicyDocument: trust }))).Role!.Arn!);
    arns.push((await c.iam.send(new iam.CreateUserCommand({ UserName: "fuzz" }))).User!.Arn!);
    const doc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });
    arns.push((await c.iam.send(new iam.CreatePolicyCommand({ PolicyName: "fuzz", PolicyDocument: doc }))).Policy!.Arn!);

    const vpc = (await c.ec2.send(new ec2.DescribeVpcsCommand({}))).Vpcs![0]!;
    ids.push(vpc.VpcId!);
    const subnets = (await c.ec2.send(new ec2.DescribeSubnetsCommand({}))).Subnets!.map((x) => x.SubnetId!);
    ids.push(...subnets);
    ids.push((await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: "fuzz", Description: "fuzz", VpcId: vpc.VpcId }))).GroupId!);
    const lb = (await c.elb.send(new elb.CreateLoadBalancerCommand({ Name: "fuzz", Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!;
    arns.push(lb.LoadBalancerArn!);
    const tg = (await c.elb.send(new elb.CreateTargetGroupCommand({ Name: "fuzz", Protocol: "HTTP", Port: 80, VpcId: vpc.VpcId, TargetType: "ip" }))).TargetGroups![0]!;
    arns.push(tg.TargetGroupArn!);
    const listener = (
      await c.elb.send(new elb.CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "forward", TargetGroupArn: tg.TargetGroupArn }] }))
    ).Listeners![0]!;
    arns.push(listener.ListenerArn!);
    const key = (await c.kms.send(new kms.CreateKeyCommand({ Description: "fuzz" }))).KeyMetadata!;
    arns.push(key.Arn!);
    ids.push(key.KeyId!);
    await c.kms.send(new kms.CreateAliasCommand({ AliasName: "alias/fuzz", TargetKeyId: key.KeyId }));
    arns.push((await c.sm.send(new sm.CreateSecretCommand({ Name: "fuzz", SecretString: '{"user":"fuzz"}' }))).ARN!);
    await c.ssm.send(new ssm.PutParameterCommand({ Name: "fuzz", Value: "fuzz", Type: "String" }));
    await c.ssm.send(new ssm.PutParameterCommand({ Name: "/fuzz/secure", Value: "fuzz", Type: "SecureString" }));
    await c.cw.send(new cw.PutMetricDataCommand({ Namespace: "fuzz", MetricData: [{ MetricName: "fuzz", Value: 1, Timestamp: new Date(Date.UTC(2026, 0, 1)), Dimensions: [{ Name: "fuzz", Value: "fuzz" }] }] }));
    await c.cw.send(
      new cw.PutMetricAlarmCommand({ AlarmName: "fuzz", Namespace: "fuzz", MetricName: "fuzz", Statistic: "Average", Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanThreshold" }),
    );
    await c.aas.send(new aas.RegisterScalableTargetCommand({ ServiceNamespace: "ecs", ResourceId: "service/fuzz/fuzz", ScalableDimension: "ecs:service:DesiredCount", MinCapacity: 1, MaxCapacity: 3 }));
    return { names: ["fuzz", "default", "fuzz:1", "fuzz/fuzz", "alias/fuzz", "/fuzz/secure", "service/fuzz/fuzz"], arns, ids };
  } finally {
    for (const client of Object.values(c)) client.destroy();
  }
}
