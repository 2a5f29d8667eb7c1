/** EC2's error codes (not model shapes: the ec2Query protocol sends them as given, HTTP 400). */
import { ServiceError } from "../../aws/service-error.ts";

export const ec2Error = (code: string, message: string): ServiceError => new ServiceError(code, message, { status: 400 });

export const invalidParameterValue = (message: string) => ec2Error("InvalidParameterValue", message);
export const missingParameter = (name: string) =>
  ec2Error("MissingParameter", `The request must contain the parameter ${name}`);
export const dependencyViolation = (message: string) => ec2Error("DependencyViolation", message);

/** Per id prefix: the resource's wording in messages and its NotFound / Malformed codes. */
interface IdKind {
  readonly noun: string;
  readonly notFound: string;
  readonly malformed: string;
}
const KINDS: Record<string, IdKind> = {
  vpc: { noun: "vpc ID", notFound: "InvalidVpcID.NotFound", malformed: "InvalidVpcID.Malformed" },
  subnet: { noun: "subnet ID", notFound: "InvalidSubnetID.NotFound", malformed: "InvalidSubnetID.Malformed" },
  sg: { noun: "security group", notFound: "InvalidGroup.NotFound", malformed: "InvalidGroupId.Malformed" },
  igw: { noun: "internetGateway ID", notFound: "InvalidInternetGatewayID.NotFound", malformed: "InvalidInternetGatewayID.Malformed" },
  rtb: { noun: "routeTable ID", notFound: "InvalidRouteTableID.NotFound", malformed: "InvalidRouteTableID.Malformed" },
  eni: { noun: "networkInterface ID", notFound: "InvalidNetworkInterfaceID.NotFound", malformed: "InvalidNetworkInterfaceID.Malformed" },
  dopt: { noun: "dhcpOption ID", notFound: "InvalidDhcpOptionID.NotFound", malformed: "InvalidDhcpOptionsId.Malformed" },
  rtbassoc: { noun: "association ID", notFound: "InvalidAssociationID.NotFound", malformed: "InvalidAssociationID.Malformed" },
  sgr: { noun: "security group rule", notFound: "InvalidSecurityGroupRuleId.NotFound", malformed: "InvalidSecurityGroupRuleId.Malformed" },
};

/** `vpc-0123abcd` or `vpc-0123456789abcdef0`: AWS's two id lengths. */
export function checkId(prefix: string, id: string): void {
  const hex = id.startsWith(`${prefix}-`) ? id.slice(prefix.length + 1) : "";
  if (!((hex.length === 8 || hex.length === 17) && /^[0-9a-f]+$/.test(hex))) {
    const kind = KINDS[prefix];
    throw ec2Error(kind?.malformed ?? "InvalidID", `Invalid id: "${id}" (expecting "${prefix}-...")`);
  }
}

export function notFound(prefix: string, id: string): never {
  const kind = KINDS[prefix] ?? { noun: "ID", notFound: "InvalidID.NotFound" };
  throw ec2Error(kind.notFound, `The ${kind.noun} '${id}' does not exist`);
}
