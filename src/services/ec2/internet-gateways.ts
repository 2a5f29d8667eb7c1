/** Internet gateways: create, attach to a VPC (one each), detach, delete, describe. */
import type { CreateInternetGatewayRequest, DescribeInternetGatewaysRequest, InternetGateway, Vpc } from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

export class InternetGateways {
  readonly #e: Ec2Context;
  /** Whether public addresses are mapped in the VPC (Elastic IPs on its interfaces, tasks' public IPs). */
  readonly #mappedPublicAddresses: (scope: Scope, vpcId: string) => boolean;
  constructor(ctx: Ec2Context, mappedPublicAddresses: (scope: Scope, vpcId: string) => boolean) {
    this.#e = ctx;
    this.#mappedPublicAddresses = mappedPublicAddresses;
  }

  require(scope: Scope, id: string | undefined): Ec2Record<InternetGateway> {
    return requireResource<InternetGateway>(this.#e.repo, scope, "internet-gateway", id);
  }

  insert(scope: Scope): InternetGateway {
    const id = this.#e.newId("igw");
    const igw: InternetGateway = { Attachments: [], InternetGatewayId: id, OwnerId: scope.accountId };
    this.#e.repo.put(scope, { id, type: "internet-gateway", vpcId: undefined, doc: igw });
    return igw;
  }

  create(scope: Scope, input: CreateInternetGatewayRequest): InternetGateway {
    return this.#e.store.tx(() => {
      this.#e.ensureDefaults(scope);
      const igw = this.insert(scope);
      this.#e.tags.applySpecs(scope, igw.InternetGatewayId!, "internet-gateway", input.TagSpecifications);
      return this.#present(scope, igw);
    });
  }

  attachedTo(scope: Scope, vpcId: string): InternetGateway[] {
    return this.#e.repo.list<InternetGateway>(scope, "internet-gateway", vpcId).map((r) => r.doc);
  }

  attach(scope: Scope, igwId: string | undefined, vpcId: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      e.ensureDefaults(scope);
      const igw = this.require(scope, igwId);
      const vpc = requireResource<Vpc>(e.repo, scope, "vpc", vpcId);
      if (igw.doc.Attachments?.length) {
        throw ec2Error("Resource.AlreadyAssociated", `resource ${igw.id} is already attached to network ${igw.vpcId}`);
      }
      if (this.attachedTo(scope, vpc.id).length) {
        throw ec2Error("Resource.AlreadyAssociated", `Network ${vpc.id} already has an internet gateway attached`);
      }
      e.repo.put(scope, { id: igw.id, type: "internet-gateway", vpcId: vpc.id, doc: { ...igw.doc, Attachments: [{ State: "available", VpcId: vpc.id }] } });
    });
  }

  detach(scope: Scope, igwId: string | undefined, vpcId: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      const igw = this.require(scope, igwId);
      const vpc = requireResource<Vpc>(e.repo, scope, "vpc", vpcId);
      if (igw.vpcId !== vpc.id) throw ec2Error("Gateway.NotAttached", `resource ${igw.id} is not attached to network ${vpc.id}`);
      if (this.#mappedPublicAddresses(scope, vpc.id)) {
        throw dependencyViolation(
          `Network ${vpc.id} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
        );
      }
      e.repo.put(scope, { id: igw.id, type: "internet-gateway", vpcId: undefined, doc: { ...igw.doc, Attachments: [] } });
    });
  }

  delete(scope: Scope, igwId: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      const igw = this.require(scope, igwId);
      if (igw.vpcId) throw dependencyViolation(`The internetGateway '${igw.id}' has dependencies and cannot be deleted.`);
      e.repo.delete(scope, igw.id);
      e.tags.dropAll(scope, igw.id);
    });
  }

  describe(scope: Scope, input: DescribeInternetGatewaysRequest): InternetGateway[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.InternetGatewayIds ?? []) this.require(scope, id);
    let all = e.repo.list<InternetGateway>(scope, "internet-gateway").map((r) => r.doc);
    if (input.InternetGatewayIds?.length) all = all.filter((g) => input.InternetGatewayIds!.includes(g.InternetGatewayId!));
    return applyFilters(
      all,
      input.Filters,
      {
        "internet-gateway-id": (g) => g.InternetGatewayId,
        "attachment.vpc-id": (g) => (g.Attachments ?? []).map((a) => a.VpcId),
        "attachment.state": (g) => (g.Attachments ?? []).map((a) => a.State),
        "owner-id": (g) => g.OwnerId,
      },
      (g) => e.tags.of(scope, g.InternetGatewayId!),
    ).map((g) => this.#present(scope, g));
  }

  #present(scope: Scope, igw: InternetGateway): InternetGateway {
    return withTags(igw, this.#e.tags.of(scope, igw.InternetGatewayId!));
  }
}
