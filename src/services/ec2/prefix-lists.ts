/**
 * Managed prefix lists (https://docs.aws.amazon.com/vpc/latest/userguide/managed-prefix-lists.html):
 * the AWS-managed lists of the gateway endpoint services (com.amazonaws.REGION.s3 and .dynamodb,
 * the destinations of a gateway endpoint's routes) and customer-managed lists with versions.
 * Security-group rules and routes may name either kind; their CIDRs are what gets enforced.
 *
 * The AWS-managed lists are not stored: they are the same for every account, with AWS's ids in
 * us-east-1 and a stable id derived from the region elsewhere. Their CIDRs are a few of Amazon's
 * published S3 and DynamoDB ranges; Slipway's S3 "public address" lies in the first one.
 */
import { createHash } from "node:crypto";
import type {
  CreateManagedPrefixListRequest,
  DescribeManagedPrefixListsRequest,
  DescribePrefixListsRequest,
  GetManagedPrefixListEntriesRequest,
  ManagedPrefixList,
  ModifyManagedPrefixListRequest,
  PrefixList,
  PrefixListEntry,
} from "@aws-sdk/client-ec2";
import { arn, type Scope } from "../../core/arn.ts";
import { formatCidr, parseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, invalidParameterValue, missingParameter, notFound, notImplemented } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { withTags } from "./tagging.ts";

/** The gateway endpoint services and a few of their published ranges. */
const AWS_LISTS: Readonly<Record<string, { usEast1Id: string; cidrs: readonly string[] }>> = {
  s3: { usEast1Id: "pl-63a5400a", cidrs: ["52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16"] },
  dynamodb: { usEast1Id: "pl-02cd2c6b", cidrs: ["3.218.180.0/22", "52.94.0.0/22", "52.119.224.0/20"] },
};

export const AWS_LIST_SERVICES = Object.keys(AWS_LISTS);

/** The AWS-managed prefix list of a gateway service in a region. */
export function awsPrefixListId(region: string, service: string): string {
  const l = AWS_LISTS[service];
  if (!l) throw new Error(`no AWS-managed prefix list for ${service}`);
  if (region === "us-east-1") return l.usEast1Id;
  return `pl-${createHash("sha256").update(`${region}/${service}`).digest("hex").slice(0, 8)}`;
}

export const awsPrefixListName = (region: string, service: string) => `com.amazonaws.${region}.${service}`;

interface PlState {
  /** Entries of every version, newest last (GetManagedPrefixListEntries TargetVersion). */
  versions: PrefixListEntry[][];
}
type PlRecord = Ec2Record<ManagedPrefixList, PlState>;

/** Who names a prefix list (DeleteManagedPrefixList refuses while any does). */
export interface PrefixListUsers {
  (scope: Scope, prefixListId: string): { resourceId: string }[];
}

export class PrefixLists {
  readonly #e: Ec2Context;
  readonly #users: PrefixListUsers;
  constructor(ctx: Ec2Context, users: PrefixListUsers) {
    this.#e = ctx;
    this.#users = users;
  }

  /** The AWS-managed lists of a region, in ManagedPrefixList form. */
  awsLists(region: string): ManagedPrefixList[] {
    return AWS_LIST_SERVICES.map((svc) => {
      const id = awsPrefixListId(region, svc);
      return {
        PrefixListId: id,
        AddressFamily: "IPv4",
        State: "create-complete",
        PrefixListArn: `arn:aws:ec2:${region}:aws:prefix-list/${id}`,
        PrefixListName: awsPrefixListName(region, svc),
        MaxEntries: AWS_LISTS[svc]!.cidrs.length,
        Version: 1,
        OwnerId: "AWS",
      };
    });
  }

  /** The service an AWS-managed list serves ("s3"), if `id` is one. */
  awsServiceOf(region: string, id: string): string | undefined {
    return AWS_LIST_SERVICES.find((svc) => awsPrefixListId(region, svc) === id);
  }

  /** The current CIDRs of a list, or undefined when no such list exists. */
  cidrs(scope: Scope, id: string): string[] | undefined {
    const svc = this.awsServiceOf(scope.region, id);
    if (svc) return [...AWS_LISTS[svc]!.cidrs];
    const rec = this.#get(scope, id);
    return rec ? (rec.state.versions.at(-1) ?? []).map((e) => e.Cidr!) : undefined;
  }

  exists(scope: Scope, id: string): boolean {
    return this.cidrs(scope, id) !== undefined;
  }

  /** InvalidPrefixListID.NotFound unless the list exists. */
  requireExists(scope: Scope, id: string | undefined): string {
    if (!id) throw missingParameter("PrefixListId");
    if (!this.exists(scope, id)) notFound("pl", id);
    return id;
  }

  #get(scope: Scope, id: string): PlRecord | undefined {
    const rec = this.#e.repo.get<ManagedPrefixList, PlState>(scope, id);
    return rec?.type === "prefix-list" ? rec : undefined;
  }

  #require(scope: Scope, id: string | undefined): PlRecord {
    if (!id) throw missingParameter("PrefixListId");
    if (this.awsServiceOf(scope.region, id)) {
      throw ec2Error("InvalidPrefixListModification", `The prefix list ${id} is managed by AWS and cannot be modified or deleted.`);
    }
    const rec = this.#get(scope, id);
    if (!rec) notFound("pl", id);
    return rec;
  }

  #entries(list: readonly { Cidr?: string | undefined; Description?: string | undefined }[] | undefined, family: string): PrefixListEntry[] {
    const out: PrefixListEntry[] = [];
    for (const e of list ?? []) {
      if (!e.Cidr) throw missingParameter("Cidr");
      if (family !== "IPv4" || e.Cidr.includes(":")) throw notImplemented("IPv6 prefix lists", "IPv6 is out of scope");
      const cidr = formatCidr(parseCidr(e.Cidr, "Cidr"));
      if (out.some((x) => x.Cidr === cidr)) throw invalidParameterValue(`The prefix list already contains the entry ${cidr}.`);
      out.push({ Cidr: cidr, ...(e.Description ? { Description: e.Description } : {}) });
    }
    return out;
  }

  create(scope: Scope, input: CreateManagedPrefixListRequest): ManagedPrefixList {
    const e = this.#e;
    if (!input.PrefixListName) throw missingParameter("PrefixListName");
    if (input.MaxEntries === undefined) throw missingParameter("MaxEntries");
    if (!input.AddressFamily) throw missingParameter("AddressFamily");
    if (input.AddressFamily !== "IPv4" && input.AddressFamily !== "IPv6") {
      throw invalidParameterValue(`Value (${input.AddressFamily}) for parameter AddressFamily is invalid. Must be IPv4 or IPv6.`);
    }
    if (input.PrefixListName.startsWith("com.amazonaws")) throw invalidParameterValue("The prefix list name cannot start with com.amazonaws.");
    if (input.MaxEntries < 1 || input.MaxEntries > 1000) throw invalidParameterValue(`The maximum number of entries must be between 1 and 1000.`);
    const entries = this.#entries(input.Entries, input.AddressFamily);
    if (entries.length > input.MaxEntries) {
      throw invalidParameterValue(`The number of entries (${entries.length}) exceeds the maximum number of entries (${input.MaxEntries}).`);
    }
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const id = e.newId("pl");
      const doc: ManagedPrefixList = {
        PrefixListId: id,
        AddressFamily: input.AddressFamily,
        State: "create-complete",
        PrefixListArn: arn("ec2", scope, `prefix-list/${id}`),
        PrefixListName: input.PrefixListName,
        MaxEntries: input.MaxEntries,
        Version: 1,
        OwnerId: scope.accountId,
      };
      e.repo.put(scope, { id, type: "prefix-list", vpcId: undefined, doc, state: { versions: [entries] } });
      e.tags.applySpecs(scope, id, "prefix-list", input.TagSpecifications);
      return this.#present(scope, doc);
    });
  }

  modify(scope: Scope, input: ModifyManagedPrefixListRequest): ManagedPrefixList {
    const e = this.#e;
    return e.store.tx(() => {
      const rec = this.#require(scope, input.PrefixListId);
      const doc = { ...rec.doc };
      const versions = [...rec.state.versions];
      const changesEntries = Boolean(input.AddEntries?.length || input.RemoveEntries?.length);
      if (changesEntries && input.CurrentVersion !== undefined && input.CurrentVersion !== doc.Version) {
        throw ec2Error("PrefixListVersionMismatch", `The prefix list has the incorrect version number. The current version is ${doc.Version}.`);
      }
      if (input.PrefixListName) doc.PrefixListName = input.PrefixListName;
      if (input.MaxEntries !== undefined) doc.MaxEntries = input.MaxEntries;
      if (changesEntries) {
        let current = [...(versions.at(-1) ?? [])];
        for (const r of input.RemoveEntries ?? []) {
          const cidr = r.Cidr ? formatCidr(parseCidr(r.Cidr, "Cidr")) : "";
          if (!current.some((x) => x.Cidr === cidr)) throw invalidParameterValue(`The prefix list does not contain the entry ${r.Cidr}.`);
          current = current.filter((x) => x.Cidr !== cidr);
        }
        for (const a of this.#entries(input.AddEntries, doc.AddressFamily ?? "IPv4")) {
          if (current.some((x) => x.Cidr === a.Cidr)) throw invalidParameterValue(`The prefix list already contains the entry ${a.Cidr}.`);
          current.push(a);
        }
        versions.push(current);
        doc.Version = (doc.Version ?? 1) + 1;
      }
      if ((versions.at(-1) ?? []).length > (doc.MaxEntries ?? 0)) {
        throw invalidParameterValue(`The number of entries (${versions.at(-1)!.length}) exceeds the maximum number of entries (${doc.MaxEntries}).`);
      }
      doc.State = "modify-complete";
      e.repo.put(scope, { id: rec.id, type: "prefix-list", vpcId: undefined, doc, state: { versions } });
      return this.#present(scope, doc);
    });
  }

  delete(scope: Scope, id: string | undefined): ManagedPrefixList {
    const e = this.#e;
    return e.store.tx(() => {
      const rec = this.#require(scope, id);
      const users = this.#users(scope, rec.id);
      if (users.length) {
        throw dependencyViolation(`The prefix list ${rec.id} is referenced by ${users.map((u) => u.resourceId).join(", ")} and cannot be deleted.`);
      }
      e.repo.delete(scope, rec.id);
      e.tags.dropAll(scope, rec.id);
      return { ...rec.doc, State: "delete-complete" };
    });
  }

  associations(scope: Scope, id: string | undefined): { ResourceId: string; ResourceOwner: string }[] {
    this.#require(scope, id);
    return this.#users(scope, id!).map((u) => ({ ResourceId: u.resourceId, ResourceOwner: scope.accountId }));
  }

  entries(scope: Scope, input: GetManagedPrefixListEntriesRequest): PrefixListEntry[] {
    const id = input.PrefixListId;
    if (!id) throw missingParameter("PrefixListId");
    const svc = this.awsServiceOf(scope.region, id);
    if (svc) return AWS_LISTS[svc]!.cidrs.map((c) => ({ Cidr: c }));
    const rec = this.#get(scope, id);
    if (!rec) notFound("pl", id);
    const v = input.TargetVersion ?? rec.doc.Version ?? 1;
    const entries = rec.state.versions[v - 1];
    if (!entries) throw invalidParameterValue(`The prefix list ${id} has no version ${v}.`);
    return entries;
  }

  #present(scope: Scope, doc: ManagedPrefixList): ManagedPrefixList {
    return withTags(doc, this.#e.tags.of(scope, doc.PrefixListId!));
  }

  describeManaged(scope: Scope, input: DescribeManagedPrefixListsRequest): ManagedPrefixList[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    const all = [...this.awsLists(scope.region), ...e.repo.list<ManagedPrefixList>(scope, "prefix-list").map((r) => this.#present(scope, r.doc))];
    for (const id of input.PrefixListIds ?? []) if (!all.some((p) => p.PrefixListId === id)) notFound("pl", id);
    const picked = input.PrefixListIds?.length ? all.filter((p) => input.PrefixListIds!.includes(p.PrefixListId!)) : all;
    return applyFilters(
      picked,
      input.Filters,
      { "owner-id": (p) => p.OwnerId, "prefix-list-id": (p) => p.PrefixListId, "prefix-list-name": (p) => p.PrefixListName },
      (p) => (p.OwnerId === "AWS" ? [] : e.tags.of(scope, p.PrefixListId!)),
    );
  }

  /** DescribePrefixLists: the AWS services' lists only, with their CIDRs. */
  describe(scope: Scope, input: DescribePrefixListsRequest): PrefixList[] {
    const all: PrefixList[] = AWS_LIST_SERVICES.map((svc) => ({
      PrefixListId: awsPrefixListId(scope.region, svc),
      PrefixListName: awsPrefixListName(scope.region, svc),
      Cidrs: [...AWS_LISTS[svc]!.cidrs],
    }));
    for (const id of input.PrefixListIds ?? []) if (!all.some((p) => p.PrefixListId === id)) notFound("pl", id);
    const picked = input.PrefixListIds?.length ? all.filter((p) => input.PrefixListIds!.includes(p.PrefixListId!)) : all;
    return applyFilters(picked, input.Filters, { "prefix-list-id": (p) => p.PrefixListId, "prefix-list-name": (p) => p.PrefixListName }, () => []);
  }
}
