/**
 * Parameter labels (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-labels.html):
 * a label names one version of a parameter and moves when attached elsewhere; at most 10 per
 * version. Labels that break the naming rules are returned as InvalidLabels, not refused.
 */
import type * as ssm from "@aws-sdk/client-ssm";
import type { Scope } from "../../core/arn.ts";
import type { SsmDeps } from "./context.ts";
import { constraint, labelLimit, parameterNotFound, versionNotFound } from "./errors.ts";
import { checkReadName, keyOf } from "./names.ts";
import type { SsmRepo } from "./repo.ts";

const LABEL = /^[a-zA-Z._-][a-zA-Z0-9._-]{0,99}$/;
const MAX_LABELS = 10;

const validLabel = (l: string) => LABEL.test(l) && !/^(aws|ssm)/i.test(l);

function checkLabels(labels: readonly string[] | undefined): readonly string[] {
  const list = labels ?? [];
  if (list.length < 1 || list.length > 10) throw constraint(undefined, "labels", "Member must have length between 1 and 10");
  return list;
}

export class Labels {
  readonly #deps: SsmDeps;
  readonly #repo: SsmRepo;

  constructor(deps: SsmDeps, repo: SsmRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  label(scope: Scope, input: ssm.LabelParameterVersionRequest): ssm.LabelParameterVersionResult {
    const key = keyOf(checkReadName(input.Name));
    const labels = checkLabels(input.Labels);
    return this.#deps.store.tx(() => {
      const p = this.#repo.parameter(scope, key);
      if (!p) throw parameterNotFound();
      const version = input.ParameterVersion ?? p.version;
      if (!this.#repo.version(scope, key, version)) throw versionNotFound(p.name, String(version));
      const InvalidLabels = labels.filter((l) => !validLabel(l));
      const valid = labels.filter(validLabel);
      const current = this.#repo.labels(scope, key);
      const onVersion = new Set([...current].filter(([, v]) => v === version).map(([l]) => l));
      for (const l of valid) onVersion.add(l);
      if (onVersion.size > MAX_LABELS) throw labelLimit();
      for (const l of valid) this.#repo.setLabel(scope, key, l, version);
      return { InvalidLabels, ParameterVersion: version };
    });
  }

  unlabel(scope: Scope, input: ssm.UnlabelParameterVersionRequest): ssm.UnlabelParameterVersionResult {
    const key = keyOf(checkReadName(input.Name));
    const labels = checkLabels(input.Labels);
    return this.#deps.store.tx(() => {
      const p = this.#repo.parameter(scope, key);
      if (!p) throw parameterNotFound();
      const version = input.ParameterVersion;
      if (version === undefined || !this.#repo.version(scope, key, version)) throw versionNotFound(p.name, String(version));
      const current = this.#repo.labels(scope, key);
      const RemovedLabels: string[] = [];
      const InvalidLabels: string[] = [];
      for (const l of labels) {
        if (current.get(l) === version) {
          this.#repo.removeLabel(scope, key, l);
          RemovedLabels.push(l);
        } else InvalidLabels.push(l);
      }
      return { RemovedLabels, InvalidLabels };
    });
  }
}
