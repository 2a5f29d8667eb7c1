/**
 * A repository's policies: the repository (permissions) policy, checked by the IAM policy grammar
 * (src/authz/validate.ts, resource-policy flavour) and enforced with IAM enforcement on, and the
 * lifecycle policy with its preview and its scheduled run (lifecycle.ts evaluates; this module
 * stores, previews and expires). Both live in the repository's RepoDoc.
 */
import type * as ecr from "@aws-sdk/client-ecr";
import type { Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import { PolicyInvalid, validatePolicy } from "../../authz/validate.ts";
import type { EcrDeps } from "./context.ts";
import { badNextToken, invalidParameter, lifecyclePolicyNotFound, lifecyclePreviewNotFound, repositoryPolicyNotFound } from "./errors.ts";
import { evaluateLifecyclePolicy, type LifecyclePolicy, parseLifecyclePolicy } from "./lifecycle.ts";
import { docOf, type EcrRepo, type RepoDoc } from "./repo.ts";

export class Policies {
  readonly #deps: EcrDeps;
  readonly #repo: EcrRepo;

  constructor(deps: EcrDeps, repo: EcrRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  // ---- repository policy -----------------------------------------------------------------

  setRepositoryPolicy(s: Scope, i: ecr.SetRepositoryPolicyRequest): ecr.SetRepositoryPolicyResponse {
    const name = i.repositoryName ?? "";
    const text = i.policyText ?? "";
    let policy: unknown;
    try {
      policy = JSON.parse(text);
    } catch {
      policy = undefined;
    }
    if (typeof policy !== "object" || policy === null || !("Statement" in policy) || !grammarHolds(text)) {
      throw invalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'");
    }
    this.#repo.updateDoc(s, name, (d) => {
      d.repositoryPolicy = text;
    });
    return { registryId: s.accountId, repositoryName: name, policyText: text };
  }

  getRepositoryPolicy(s: Scope, i: ecr.GetRepositoryPolicyRequest): ecr.GetRepositoryPolicyResponse {
    const name = i.repositoryName ?? "";
    const d = docOf(this.#repo.require(s, name));
    if (d.repositoryPolicy === undefined) throw repositoryPolicyNotFound(name, s.accountId);
    return { registryId: s.accountId, repositoryName: name, policyText: d.repositoryPolicy };
  }

  deleteRepositoryPolicy(s: Scope, i: ecr.DeleteRepositoryPolicyRequest): ecr.DeleteRepositoryPolicyResponse {
    const name = i.repositoryName ?? "";
    let text = "";
    this.#repo.updateDoc(s, name, (d) => {
      if (d.repositoryPolicy === undefined) throw repositoryPolicyNotFound(name, s.accountId);
      text = d.repositoryPolicy;
      delete d.repositoryPolicy;
    });
    return { registryId: s.accountId, repositoryName: name, policyText: text };
  }

  // ---- lifecycle policy ------------------------------------------------------------------

  putLifecyclePolicy(s: Scope, i: ecr.PutLifecyclePolicyRequest): ecr.PutLifecyclePolicyResponse {
    const name = i.repositoryName ?? "";
    const text = i.lifecyclePolicyText ?? "";
    parseLifecyclePolicy(text);
    this.#repo.updateDoc(s, name, (d) => {
      d.lifecyclePolicy = { text };
    });
    return { registryId: s.accountId, repositoryName: name, lifecyclePolicyText: text };
  }

  getLifecyclePolicy(s: Scope, i: ecr.GetLifecyclePolicyRequest): ecr.GetLifecyclePolicyResponse {
    const name = i.repositoryName ?? "";
    const p = docOf(this.#repo.require(s, name)).lifecyclePolicy;
    if (!p) throw lifecyclePolicyNotFound(name, s.accountId);
    return {
      registryId: s.accountId,
      repositoryName: name,
      lifecyclePolicyText: p.text,
      ...(p.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: new Date(p.lastEvaluatedAt) } : {}),
    };
  }

  deleteLifecyclePolicy(s: Scope, i: ecr.DeleteLifecyclePolicyRequest): ecr.DeleteLifecyclePolicyResponse {
    const name = i.repositoryName ?? "";
    let p: RepoDoc["lifecyclePolicy"];
    this.#repo.updateDoc(s, name, (d) => {
      p = d.lifecyclePolicy;
      if (!p) throw lifecyclePolicyNotFound(name, s.accountId);
      delete d.lifecyclePolicy;
    });
    return {
      registryId: s.accountId,
      repositoryName: name,
      lifecyclePolicyText: p!.text,
      ...(p!.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: new Date(p!.lastEvaluatedAt) } : {}),
    };
  }

  /** Evaluates the given (or stored) policy against the repository's images now; the result is kept for Get. */
  startPreview(s: Scope, i: ecr.StartLifecyclePolicyPreviewRequest): ecr.StartLifecyclePolicyPreviewResponse {
    const name = i.repositoryName ?? "";
    const repo = this.#repo.require(s, name);
    const text = i.lifecyclePolicyText ?? docOf(repo).lifecyclePolicy?.text;
    if (text === undefined) throw lifecyclePolicyNotFound(name, s.accountId);
    const policy = parseLifecyclePolicy(text);
    const verdicts = evaluateLifecyclePolicy(policy, this.#deps.registry.listImages(s, name), this.#deps.clock.now());
    const results = verdicts.map((v) => ({ digest: v.image.digest, tags: [...v.image.tags], pushedAt: v.image.pushedAt, rulePriority: v.appliedRulePriority }));
    this.#repo.updateDoc(s, name, (d) => {
      d.lifecyclePreview = { text, results };
    });
    return { registryId: s.accountId, repositoryName: name, lifecyclePolicyText: text, status: "COMPLETE" };
  }

  getPreview(s: Scope, i: ecr.GetLifecyclePolicyPreviewRequest): ecr.GetLifecyclePolicyPreviewResponse {
    const name = i.repositoryName ?? "";
    const preview = docOf(this.#repo.require(s, name)).lifecyclePreview;
    if (!preview) throw lifecyclePreviewNotFound(name, s.accountId);
    let results = preview.results;
    const tagStatus = i.filter?.tagStatus;
    if (tagStatus === "TAGGED") results = results.filter((r) => r.tags.length > 0);
    if (tagStatus === "UNTAGGED") results = results.filter((r) => r.tags.length === 0);
    if (i.imageIds?.length) {
      results = results.filter((r) => i.imageIds!.some((id) => (id.imageDigest ? id.imageDigest === r.digest : false) || (id.imageTag ? r.tags.includes(id.imageTag) : false)));
    }
    const page = offsetPage(results, i.maxResults ?? 100, i.nextToken, badNextToken);
    return {
      registryId: s.accountId,
      repositoryName: name,
      lifecyclePolicyText: preview.text,
      status: "COMPLETE",
      previewResults: page.items.map((r) => ({
        imageTags: r.tags,
        imageDigest: r.digest,
        imagePushedAt: new Date(r.pushedAt),
        action: { type: "EXPIRE" },
        appliedRulePriority: r.rulePriority,
      })),
      summary: { expiringImageTotalCount: preview.results.length },
      ...(page.next ? { nextToken: page.next } : {}),
    };
  }

  /**
   * One scheduled lifecycle run: every repository with a lifecycle policy expires what its policy
   * says now, and records when it was evaluated. The caller decides how often this runs.
   */
  runLifecycle(): { expired: number } {
    const { store, registry, clock } = this.#deps;
    const now = clock.now();
    let expired = 0;
    for (const r of registry.allRepositories()) {
      store.tx(() => {
        const repo = registry.getRepository(r, r.name);
        const p = repo ? docOf(repo).lifecyclePolicy : undefined;
        if (!repo || !p) return;
        let policy: LifecyclePolicy;
        try {
          policy = parseLifecyclePolicy(p.text);
        } catch {
          return;
        }
        for (const v of evaluateLifecyclePolicy(policy, registry.listImages(r, r.name), now)) {
          if (registry.deleteManifest(r, r.name, v.image.digest)) expired++;
        }
        const doc = docOf(repo);
        doc.lifecyclePolicy = { text: p.text, lastEvaluatedAt: now };
        this.#repo.writeDoc(r, r.name, doc);
      });
    }
    return { expired };
  }
}

/** Whether a repository policy passes the IAM grammar (ECR answers one message for every failure). */
function grammarHolds(text: string): boolean {
  try {
    validatePolicy(text, "resource");
    return true;
  } catch (err) {
    if (err instanceof PolicyInvalid) return false;
    throw err;
  }
}
