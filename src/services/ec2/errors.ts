/** EC2's error codes (not model shapes: the ec2Query protocol sends them as given, HTTP 400). */
import { ServiceError } from "../../aws/service-error.ts";

export const ec2Error = (code: string, message: string): ServiceError => new ServiceError(code, message, { status: 400 });

export const invalidParameterValue = (message: string) => ec2Error("InvalidParameterValue", message);
export const invalidParameter = (message: string) => ec2Error("InvalidParameter", message);
export const invalidParameterCombination = (message: string) => ec2Error("InvalidParameterCombination", message);
export const missingParameter = (name: string) =>
  ec2Error("MissingParameter", `The request must contain the parameter ${name}`);
export const dependencyViolation = (message: string) => ec2Error("DependencyViolation", message);
export const operationNotPermitted = (message: string) => ec2Error("OperationNotPermitted", message);
/** A field of the API that Slipway does not implement: refused, naming it, rather than ignored. */
export const notImplemented = (field: string, what = "") =>
  ec2Error("InvalidParameterValue", `Slipway does not implement ${field}${what ? ` (${what})` : ""}`);

/** Per id prefix: the resource's wording in messages and its NotFound / Malformed codes. */
interface IdKind {
  readonly noun: string;
  readonly notFound: string;
  readonly malformed: string;
  /** The whole NotFound message, when it is not "The <noun> '<id>' does not exist". */
  readonly message?: (id: string) => string;
}
const KINDS: Record<string, IdKind> = {
  vpc: { noun: "vpc ID", notFound: "InvalidVpcID.NotFound", malformed: "InvalidVpcID.Malformed" },
  subnet: { noun: "subnet ID", notFound: "InvalidSubnetID.NotFound", malformed: "InvalidSubnetID.Malformed" },
  sg: { noun: "security group", notFound: "InvalidGroup.NotFound", malformed: "InvalidGroupId.Malformed" },
  igw: { noun: "internetGateway ID", notFound: "InvalidInternetGatewayID.NotFound", malformed: "InvalidInternetGatewayID.Malformed" },
  rtb: { noun: "routeTable ID", notFound: "InvalidRouteTableID.NotFound", malformed: "InvalidRouteTableID.Malformed" },
  eni: { noun: "networkInterface ID", notFound: "InvalidNetworkInterfaceID.NotFound", malformed: "InvalidNetworkInterfaceID.Malformed" },
  "eni-attach": { noun: "attachment ID", notFound: "InvalidAttachmentID.NotFound", malformed: "InvalidAttachmentID.Malformed" },
  dopt: { noun: "dhcpOption ID", notFound: "InvalidDhcpOptionID.NotFound", malformed: "InvalidDhcpOptionsId.Malformed" },
  rtbassoc: { noun: "association ID", notFound: "InvalidAssociationID.NotFound", malformed: "InvalidAssociationID.Malformed" },
  sgr: { noun: "security group rule", notFound: "InvalidSecurityGroupRuleId.NotFound", malformed: "InvalidSecurityGroupRuleId.Malformed" },
  nat: {
    noun: "NAT gateway",
    notFound: "NatGatewayNotFound",
    malformed: "InvalidNatGatewayID.Malformed",
    message: (id) => `The Nat Gateway ${id} was not found`,
  },
  eipalloc: { noun: "allocation ID", notFound: "InvalidAllocationID.NotFound", malformed: "InvalidAllocationID.Malformed" },
  eipassoc: { noun: "association ID", notFound: "InvalidAssociationID.NotFound", malformed: "InvalidAssociationID.Malformed" },
  vpce: { noun: "VpcEndpoint ID", notFound: "InvalidVpcEndpointId.NotFound", malformed: "InvalidVpcEndpointId.Malformed" },
  pl: { noun: "prefix list ID", notFound: "InvalidPrefixListID.NotFound", malformed: "InvalidPrefixListID.Malformed" },
  acl: { noun: "networkAcl ID", notFound: "InvalidNetworkAclID.NotFound", malformed: "InvalidNetworkAclID.Malformed" },
  "vpc-cidr-assoc": { noun: "association ID", notFound: "InvalidVpcCidrBlockAssociationID.NotFound", malformed: "InvalidVpcCidrBlockAssociationID.Malformed" },
  i: { noun: "instance ID", notFound: "InvalidInstanceID.NotFound", malformed: "InvalidInstanceID.Malformed" },
};

/** `vpc-0123abcd` or `vpc-0123456789abcdef0`: AWS's two id lengths. */
export function checkId(prefix: string, id: string): void {
  if (!isId(prefix, id)) {
    const kind = KINDS[prefix];
    throw ec2Error(kind?.malformed ?? "InvalidID", `Invalid id: "${id}" (expecting "${prefix}-...")`);
  }
}

export function isId(prefix: string, id: string): boolean {
  const rest = id.startsWith(`${prefix}-`) ? id.slice(prefix.length + 1) : undefined;
  return rest !== undefined && (rest.length === 8 || rest.length === 17) && /^[0-9a-f]+$/.test(rest);
}

export function notFoundError(prefix: string, id: string): ServiceError {
  const kind: Omit<IdKind, "malformed"> = KINDS[prefix] ?? { noun: "ID", notFound: "InvalidID.NotFound" };
  return ec2Error(kind.notFound, kind.message ? kind.message(id) : `The ${kind.noun} '${id}' does not exist`);
}

export function notFound(prefix: string, id: string): never {
  throw notFoundError(prefix, id);
}
