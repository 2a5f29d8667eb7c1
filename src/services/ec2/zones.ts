/** Availability zones and account attributes: fixed per region (three zones, a/b/c). */
import type {
  AccountAttribute,
  AvailabilityZone,
  DescribeAccountAttributesRequest,
  DescribeAvailabilityZonesRequest,
  DescribeRegionsRequest,
  Region,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import { invalidParameterValue } from "./errors.ts";
import { applyFilters } from "./filters.ts";

const DIRECTIONS: Record<string, string> = {
  east: "e", west: "w", north: "n", south: "s", central: "c",
  northeast: "ne", northwest: "nw", southeast: "se", southwest: "sw",
};

/** us-east-1 → use1, ap-southeast-2 → apse2 (the prefix of AWS's zone ids). */
export function regionCode(region: string): string {
  const [geo = "", dir = "", n = ""] = region.split("-");
  return `${geo}${DIRECTIONS[dir] ?? dir.slice(0, 1)}${n}`;
}

export const ZONE_LETTERS = ["a", "b", "c"] as const;

export function zones(region: string): AvailabilityZone[] {
  return ZONE_LETTERS.map((letter, i) => ({
    ZoneName: `${region}${letter}`,
    ZoneId: `${regionCode(region)}-az${i + 1}`,
    State: "available",
    OptInStatus: "opt-in-not-required",
    Messages: [],
    RegionName: region,
    GroupName: region,
    NetworkBorderGroup: region,
    ZoneType: "availability-zone",
    GroupLongName: region,
  }));
}

/** The zone named by ZoneName or ZoneId, or InvalidParameterValue. */
export function requireZone(region: string, name: string | undefined, id: string | undefined): AvailabilityZone {
  const z = zones(region).find((z) => (name !== undefined ? z.ZoneName === name : z.ZoneId === id));
  if (!z) throw invalidParameterValue(`Value (${name ?? id}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones(region).map((x) => x.ZoneName).join(", ")}.`);
  return z;
}

export function describeAvailabilityZones(region: string, input: DescribeAvailabilityZonesRequest): AvailabilityZone[] {
  let all = zones(region);
  for (const n of input.ZoneNames ?? []) {
    if (!all.some((z) => z.ZoneName === n)) throw invalidParameterValue(`The zone '${n}' does not exist.`);
  }
  for (const n of input.ZoneIds ?? []) {
    if (!all.some((z) => z.ZoneId === n)) throw invalidParameterValue(`The zone id '${n}' does not exist.`);
  }
  if (input.ZoneNames?.length) all = all.filter((z) => input.ZoneNames!.includes(z.ZoneName!));
  if (input.ZoneIds?.length) all = all.filter((z) => input.ZoneIds!.includes(z.ZoneId!));
  return applyFilters(
    all,
    input.Filters,
    {
      "zone-name": (z) => z.ZoneName,
      "zone-id": (z) => z.ZoneId,
      state: (z) => z.State,
      "region-name": (z) => z.RegionName,
      "zone-type": (z) => z.ZoneType,
      "opt-in-status": (z) => z.OptInStatus,
      "group-name": (z) => z.GroupName,
      "network-border-group": (z) => z.NetworkBorderGroup,
    },
    () => [],
  );
}

export function describeAccountAttributes(scope: Scope, defaultVpcId: string, input: DescribeAccountAttributesRequest): AccountAttribute[] {
  const values: Record<string, string[]> = {
    "supported-platforms": ["VPC"],
    "default-vpc": [defaultVpcId],
    "max-instances": ["20"],
    "vpc-max-security-groups-per-interface": ["5"],
    "max-elastic-ips": ["5"],
    "vpc-max-elastic-ips": ["5"],
  };
  void scope;
  const names = input.AttributeNames?.length ? input.AttributeNames : Object.keys(values);
  return names.map((name) => {
    const v = values[name];
    if (!v) throw invalidParameterValue(`Value (${name}) for parameter attributeName is invalid.`);
    return { AttributeName: name, AttributeValues: v.map((AttributeValue) => ({ AttributeValue })) };
  });
}

/** The commercial regions and whether an account has them by default (opt-in regions are not enabled). */
const REGIONS: readonly (readonly [string, "opt-in-not-required" | "not-opted-in"])[] = [
  ["ap-south-1", "opt-in-not-required"],
  ["eu-north-1", "opt-in-not-required"],
  ["eu-west-3", "opt-in-not-required"],
  ["eu-west-2", "opt-in-not-required"],
  ["eu-west-1", "opt-in-not-required"],
  ["ap-northeast-3", "opt-in-not-required"],
  ["ap-northeast-2", "opt-in-not-required"],
  ["ap-northeast-1", "opt-in-not-required"],
  ["ca-central-1", "opt-in-not-required"],
  ["sa-east-1", "opt-in-not-required"],
  ["ap-southeast-1", "opt-in-not-required"],
  ["ap-southeast-2", "opt-in-not-required"],
  ["eu-central-1", "opt-in-not-required"],
  ["us-east-1", "opt-in-not-required"],
  ["us-east-2", "opt-in-not-required"],
  ["us-west-1", "opt-in-not-required"],
  ["us-west-2", "opt-in-not-required"],
  ["af-south-1", "not-opted-in"],
  ["ap-east-1", "not-opted-in"],
  ["ap-south-2", "not-opted-in"],
  ["ap-southeast-3", "not-opted-in"],
  ["eu-south-1", "not-opted-in"],
  ["eu-central-2", "not-opted-in"],
  ["me-south-1", "not-opted-in"],
  ["me-central-1", "not-opted-in"],
];

/**
 * DescribeRegions (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html):
 * the enabled regions, or all with AllRegions; the current region is always enabled.
 */
export function describeRegions(current: string, input: DescribeRegionsRequest): Region[] {
  const known = REGIONS.some(([r]) => r === current) ? REGIONS : [...REGIONS, [current, "opt-in-not-required"] as const];
  const all: Region[] = known.map(([name, status]) => ({
    RegionName: name,
    Endpoint: `ec2.${name}.amazonaws.com`,
    OptInStatus: name === current ? "opt-in-not-required" : status,
  }));
  for (const n of input.RegionNames ?? []) {
    if (!all.some((r) => r.RegionName === n)) throw invalidParameterValue(`Invalid region: ${n}`);
  }
  let picked = input.RegionNames?.length ? all.filter((r) => input.RegionNames!.includes(r.RegionName!)) : all;
  if (!input.AllRegions && !input.RegionNames?.length) picked = picked.filter((r) => r.OptInStatus !== "not-opted-in");
  return applyFilters(
    picked,
    input.Filters,
    { endpoint: (r) => r.Endpoint, "opt-in-status": (r) => r.OptInStatus, "region-name": (r) => r.RegionName },
    () => [],
  );
}
