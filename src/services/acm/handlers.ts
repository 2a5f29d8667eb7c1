/** ACM operations: thin adapters from the wire to the domain, typed by the @aws-sdk/client-acm aggregated client. */
import type { ACM } from "@aws-sdk/client-acm";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { tagShape } from "../common/tagging.ts";
import type { Acm } from "./acm.ts";

const tags = tagShape("Key", "Value");

export function acmHandlers(a: Acm): HandlerTable {
  const c = a.certificates;
  return defineHandlers<ACM>()({
    ImportCertificate: async (i, ctx) => {
      a.checkTags(tags.read(i.Tags));
      const arn = await c.import(ctx, i);
      if (i.Tags?.length) a.tagging(ctx).tag(arn, tags.read(i.Tags));
      return { CertificateArn: arn };
    },
    RequestCertificate: async (i, ctx) => {
      a.checkTags(tags.read(i.Tags));
      const arn = await c.request(ctx, i);
      if (i.Tags?.length) a.tagging(ctx).tag(arn, tags.read(i.Tags));
      return { CertificateArn: arn };
    },
    DescribeCertificate: (i, ctx) => ({ Certificate: c.describe(ctx, i.CertificateArn) }),
    ListCertificates: (i, ctx) => c.list(ctx, i),
    GetCertificate: (i, ctx) => c.get(ctx, i.CertificateArn),
    DeleteCertificate: (i, ctx) => (c.delete(ctx, i.CertificateArn), {}),
    UpdateCertificateOptions: (i, ctx) => (c.updateOptions(ctx, i.CertificateArn, i.Options), {}),
    AddTagsToCertificate: (i, ctx) => (a.tagging(ctx).tag(i.CertificateArn ?? "", tags.read(i.Tags)), {}),
    RemoveTagsFromCertificate: (i, ctx) => (a.removeTags(ctx, i.CertificateArn, (i.Tags ?? []).map((t) => ({ key: t.Key ?? "", value: t.Value }))), {}),
    ListTagsForCertificate: (i, ctx) => ({ Tags: tags.write(a.tagging(ctx).list(i.CertificateArn ?? "")) }),
    GetAccountConfiguration: (_i, ctx) => ({ ExpiryEvents: { DaysBeforeExpiry: a.daysBeforeExpiry(ctx) } }),
    PutAccountConfiguration: (i, ctx) => (a.setDaysBeforeExpiry(ctx, i.ExpiryEvents?.DaysBeforeExpiry), {}),
  });
}
