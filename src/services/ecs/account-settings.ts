import type { ListAccountSettingsRequest, ListAccountSettingsResponse, Setting } from "@aws-sdk/client-ecs";
import type { Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import { opt } from "./context.ts";
import { badNextToken, invalidParameter } from "./errors.ts";
import type { EcsRepo } from "./repo.ts";

/** ECS account settings and their defaults for a new account. */
const DEFAULTS: Record<string, string> = {
  awsvpcTrunking: "disabled",
  containerInsights: "disabled",
  containerInstanceLongArnFormat: "enabled",
  defaultLogDriverMode: "non-blocking",
  dualStackIPv6: "disabled",
  fargateFIPSMode: "disabled",
  fargateTaskRetirementWaitPeriod: "7",
  guardDutyActivate: "off",
  serviceLongArnFormat: "enabled",
  tagResourceAuthorization: "on",
  taskLongArnFormat: "enabled",
};

export class AccountSettings {
  readonly #repo: EcsRepo;
  constructor(repo: EcsRepo) {
    this.#repo = repo;
  }

  put(scope: Scope, name: string, value: string, principal?: string): Setting {
    if (!(name in DEFAULTS)) throw invalidParameter(`Invalid account setting name ${name}.`);
    const principalArn = principal ?? `arn:aws:iam::${scope.accountId}:root`;
    this.#repo.store.tx(() => this.#repo.putAccountSetting(scope, principalArn, name, value));
    return { name: name as Setting["name"], value, principalArn, type: "user" };
  }

  list(scope: Scope, input: ListAccountSettingsRequest): ListAccountSettingsResponse {
    const principalArn = input.principalArn ?? `arn:aws:iam::${scope.accountId}:root`;
    const stored = this.#repo.getAccountSettings(scope);
    const effective = new Map<string, { value: string; principal: string; type: string }>();
    for (const [name, value] of Object.entries(DEFAULTS)) effective.set(name, { value, principal: principalArn, type: "aws_managed" });
    for (const s of stored) {
      if (s.principal === principalArn || (input.effectiveSettings && s.principal.endsWith(":root"))) {
        effective.set(s.name, { value: s.value, principal: s.principal, type: "user" });
      }
    }
    let settings: Setting[] = [...effective].map(([name, v]) => ({
      name: name as Setting["name"],
      value: v.value,
      principalArn: v.principal,
      type: v.type as Setting["type"],
    }));
    if (!input.effectiveSettings) settings = settings.filter((s) => stored.some((x) => x.name === s.name && x.principal === s.principalArn));
    if (input.name) settings = settings.filter((s) => s.name === input.name);
    if (input.value) settings = settings.filter((s) => s.value === input.value);
    const page = offsetPage(settings, input.maxResults ?? 100, input.nextToken, badNextToken);
    return { settings: page.items, ...opt("nextToken", page.next) };
  }
}
