/**
 * What every EC2 resource module (vpcs, subnets, internet-gateways, route-tables, security-groups,
 * network-interfaces) is given: the store and the EC2 repo, tags, new ids, and the scope's
 * defaults. Anything more a module needs from another comes as a small function (see ec2.ts), so
 * no module imports another module's class or the assembled `Ec2`.
 */
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";
import type { Ec2Repo, ScopeDefaults } from "./repo.ts";
import type { Ec2Tags } from "./tagging.ts";

export interface Ec2Context {
  readonly store: Store;
  readonly repo: Ec2Repo;
  readonly tags: Ec2Tags;
  /** A new resource id: `prefix-` + 17 hex digits (AWS's long ids). */
  newId(prefix: string): string;
  /** The scope's default VPC and DHCP options, made on first use (idempotent). */
  ensureDefaults(scope: Scope): ScopeDefaults;
}
