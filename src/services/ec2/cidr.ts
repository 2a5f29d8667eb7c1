/** IPv4 CIDR arithmetic for VPCs, subnets and ENI addresses. */
import { invalidParameterValue } from "./errors.ts";

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

export function parseIp(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function tryParseCidr(value: string): Cidr | undefined {
  const [ip, len, ...rest] = value.split("/");
  if (rest.length || ip === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const base = parseIp(ip);
  const prefix = Number(len);
  if (base === undefined || prefix > 32) return undefined;
  return { base: (base & mask(prefix)) >>> 0, prefix };
}

/** The CIDR or InvalidParameterValue in AWS's words. */
export function parseCidr(value: string, param = "cidrBlock"): Cidr {
  const c = tryParseCidr(value);
  if (!c) throw invalidParameterValue(`Value (${value}) for parameter ${param} is invalid. This is not a valid CIDR block.`);
  return c;
}

export const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
export const size = (c: Cidr): number => 2 ** (32 - c.prefix);
export const formatCidr = (c: Cidr): string => `${formatIp(c.base)}/${c.prefix}`;

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && ((inner.base & mask(outer.prefix)) >>> 0) === outer.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

export const isIpv6Cidr = (value: string): boolean => value.includes(":");
