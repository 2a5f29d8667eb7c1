/**
 * AWS-managed policies (`arn:aws:iam::aws:policy/...`), present in every account from the start: the
 * ones container tutorials and Terraform modules attach. Documents are the real ones or close
 * abridgements (AmazonECSTaskExecutionRolePolicy is verbatim). Attachment counts are per account
 * (computed from iam_attachments); the policies themselves are not stored.
 */
import { stableId } from "./util.ts";

export interface ManagedPolicy {
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly policyId: string;
  readonly description: string;
  readonly createDate: Date;
  readonly updateDate: Date;
  readonly document: string;
  /** Service-linked-role policies cannot be attached to ordinary roles. */
  readonly attachable: boolean;
}

interface Statement {
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string[];
  Resource: string | string[];
  Condition?: object;
}

const allow = (Action: string | string[], Resource: string | string[] = "*"): Statement => ({ Effect: "Allow", Action, Resource });

const ECR_READ = [
  "ecr:GetAuthorizationToken",
  "ecr:BatchCheckLayerAvailability",
  "ecr:GetDownloadUrlForLayer",
  "ecr:GetRepositoryPolicy",
  "ecr:DescribeRepositories",
  "ecr:ListImages",
  "ecr:DescribeImages",
  "ecr:BatchGetImage",
  "ecr:GetLifecyclePolicy",
  "ecr:GetLifecyclePolicyPreview",
  "ecr:ListTagsForResource",
  "ecr:DescribeImageScanFindings",
];

const DEFINITIONS: ReadonlyArray<{
  name: string;
  path?: string;
  description: string;
  created: string;
  updated?: string;
  statements: Statement[];
  attachable?: boolean;
}> = [
  {
    name: "AmazonECSTaskExecutionRolePolicy",
    path: "/service-role/",
    description: "Provides access to other AWS service resources that are required to run Amazon ECS tasks",
    created: "2017-11-16T18:48:22Z",
    statements: [
      allow([
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
      ]),
    ],
  },
  {
    name: "AmazonEC2ContainerServiceforEC2Role",
    path: "/service-role/",
    description: "Default policy for the Amazon EC2 Role for Amazon EC2 Container Service.",
    created: "2015-03-19T18:45:18Z",
    statements: [
      allow([
        "ec2:DescribeTags",
        "ecs:CreateCluster",
        "ecs:DeregisterContainerInstance",
        "ecs:DiscoverPollEndpoint",
        "ecs:Poll",
        "ecs:RegisterContainerInstance",
        "ecs:StartTelemetrySession",
        "ecs:UpdateContainerInstancesState",
        "ecs:Submit*",
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
      ]),
      allow("ecs:TagResource", "*"),
    ],
  },
  {
    name: "AmazonECSServiceRolePolicy",
    path: "/aws-service-role/",
    description: "Policy to enable Amazon ECS to manage your cluster.",
    created: "2017-10-14T01:18:58Z",
    attachable: false,
    statements: [
      allow([
        "ec2:AttachNetworkInterface",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DetachNetworkInterface",
        "elasticloadbalancing:DeregisterTargets",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:Describe*",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
      ]),
    ],
  },
  {
    name: "AmazonECS_FullAccess",
    description: "Provides administrative access to Amazon ECS resources and enables ECS features through access to other AWS service resources, including VPCs, Auto Scaling groups, and CloudFormation stacks.",
    created: "2021-06-08T00:18:15Z",
    statements: [
      allow([
        "ecs:*",
        "ecr:*",
        "elasticloadbalancing:*",
        "logs:CreateLogGroup",
        "logs:DescribeLogGroups",
        "logs:FilterLogEvents",
        "ec2:Describe*",
        "application-autoscaling:*",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricStatistics",
        "servicediscovery:*",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
      ]),
      {
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: "*",
        Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ],
  },
  {
    name: "AmazonEC2ContainerRegistryReadOnly",
    description: "Provides read-only access to Amazon EC2 Container Registry repositories.",
    created: "2015-12-21T17:04:11Z",
    statements: [allow(ECR_READ)],
  },
  {
    name: "AmazonEC2ContainerRegistryPowerUser",
    description: "Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.",
    created: "2015-12-21T17:05:33Z",
    statements: [
      allow([...ECR_READ, "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]),
    ],
  },
  {
    name: "AmazonEC2ContainerRegistryFullAccess",
    description: "Provides administrative access to Amazon ECR resources",
    created: "2015-12-21T17:06:48Z",
    statements: [allow("ecr:*"), { Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*", Condition: { StringEquals: { "iam:AWSServiceName": ["replication.ecr.amazonaws.com"] } } }],
  },
  {
    name: "CloudWatchLogsFullAccess",
    description: "Provides full access to CloudWatch Logs",
    created: "2015-02-06T18:40:35Z",
    statements: [allow(["logs:*", "cloudwatch:GenerateQuery"])],
  },
  {
    name: "CloudWatchLogsReadOnlyAccess",
    description: "Provides read only access to CloudWatch Logs",
    created: "2015-02-06T18:40:36Z",
    statements: [allow(["logs:Describe*", "logs:Get*", "logs:List*", "logs:StartQuery", "logs:StopQuery", "logs:TestMetricFilter", "logs:FilterLogEvents", "logs:StartLiveTail", "logs:StopLiveTail"])],
  },
  {
    name: "AmazonSSMReadOnlyAccess",
    description: "Provides read only access to Amazon SSM.",
    created: "2015-05-29T17:44:19Z",
    statements: [allow(["ssm:Describe*", "ssm:Get*", "ssm:List*"])],
  },
  {
    name: "SecretsManagerReadWrite",
    description: "Provides read/write access to AWS Secrets Manager via the AWS Management Console.",
    created: "2018-04-04T18:05:29Z",
    statements: [
      allow(["secretsmanager:*", "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:DescribeStackResource", "cloudformation:DescribeStacks", "cloudformation:ExecuteChangeSet", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "kms:DescribeKey", "kms:ListAliases", "kms:ListKeys", "lambda:ListFunctions", "rds:DescribeDBClusters", "rds:DescribeDBInstances", "redshift:DescribeClusters", "tag:GetResources"]),
    ],
  },
  {
    name: "AmazonS3ReadOnlyAccess",
    description: "Provides read only access to all buckets via the AWS Management Console.",
    created: "2015-02-06T18:40:59Z",
    statements: [allow(["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"])],
  },
  {
    name: "AmazonS3FullAccess",
    description: "Provides full access to all buckets via the AWS Management Console.",
    created: "2015-02-06T18:40:58Z",
    statements: [allow(["s3:*", "s3-object-lambda:*"])],
  },
  {
    name: "AmazonDynamoDBFullAccess",
    description: "Provides full access to Amazon DynamoDB via the AWS Management Console.",
    created: "2015-02-06T18:40:11Z",
    statements: [allow(["dynamodb:*", "dax:*", "application-autoscaling:*", "cloudwatch:*", "iam:GetRole", "iam:ListRoles", "kms:DescribeKey", "kms:ListAliases"])],
  },
  {
    name: "AWSXRayDaemonWriteAccess",
    description: "Allow the AWS X-Ray Daemon to relay raw trace segments data to the service's API and retrieve sampling data (rules, targets, etc.) to be used by the X-Ray SDK.",
    created: "2018-08-28T23:00:33Z",
    statements: [allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"])],
  },
  {
    name: "AmazonSSMManagedInstanceCore",
    description: "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.",
    created: "2019-03-15T17:22:12Z",
    statements: [allow(["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel", "ec2messages:*"])],
  },
  {
    name: "AdministratorAccess",
    description: "Provides full access to AWS services and resources.",
    created: "2015-02-06T18:39:46Z",
    statements: [allow("*")],
  },
  {
    name: "PowerUserAccess",
    description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
    created: "2015-02-06T18:39:47Z",
    statements: [
      { Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" },
      allow(["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"]),
    ],
  },
  {
    name: "ReadOnlyAccess",
    description: "Provides read-only access to AWS services and resources.",
    created: "2015-02-06T18:39:48Z",
    statements: [
      allow([
        "ecs:Describe*",
        "ecs:List*",
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:Describe*",
        "ecr:Get*",
        "ecr:List*",
        "ec2:Describe*",
        "ec2:Get*",
        "elasticloadbalancing:Describe*",
        "iam:Get*",
        "iam:List*",
        "logs:Describe*",
        "logs:Get*",
        "logs:FilterLogEvents",
        "logs:ListTagsForResource",
        "s3:Get*",
        "s3:List*",
        "secretsmanager:Describe*",
        "secretsmanager:List*",
        "ssm:Describe*",
        "ssm:Get*",
        "ssm:List*",
        "sts:GetCallerIdentity",
      ]),
    ],
  },
];

export const MANAGED_POLICIES: readonly ManagedPolicy[] = DEFINITIONS.map((d) => {
  const path = d.path ?? "/";
  return {
    name: d.name,
    path,
    arn: `arn:aws:iam::aws:policy${path}${d.name}`,
    policyId: stableId("ANPA", d.name),
    description: d.description,
    createDate: new Date(d.created),
    updateDate: new Date(d.updated ?? d.created),
    document: JSON.stringify({ Version: "2012-10-17", Statement: d.statements }),
    attachable: d.attachable ?? true,
  };
});

const BY_ARN = new Map(MANAGED_POLICIES.map((p) => [p.arn, p]));

export const managedPolicy = (arn: string): ManagedPolicy | undefined => BY_ARN.get(arn);
