import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ServiceError } from "../../aws/service-error.ts";
import { ManualClock } from "../../core/clock.ts";
import { evaluateLifecyclePolicy, type LifecycleImage, parseLifecyclePolicy } from "./lifecycle.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

function img(n: number, tags: string[], pushedAt: number): LifecycleImage {
  return { digest: `sha256:${n.toString(16).padStart(64, "0")}`, tags, pushedAt };
}

/** The ECR user guide's two tutorial rules. */
const TUTORIAL = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: "Expire images older than 7 days",
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
      action: { type: "expire" },
    },
    {
      rulePriority: 2,
      description: "Keep last 30 release images",
      selection: { tagStatus: "tagged", tagPrefixList: ["release-"], countType: "imageCountMoreThan", countNumber: 30 },
      action: { type: "expire" },
    },
  ],
});

describe("lifecycle policies", () => {
  test("tutorial: untagged images expire after 7 days; only the last 30 release- images are kept", () => {
    const clock = new ManualClock(T0);
    const images: LifecycleImage[] = [];
    // 35 release images, one a day, and 3 untagged ones.
    for (let i = 0; i < 35; i++) {
      images.push(img(i + 1, [`release-${i}`], clock.now()));
      clock.advance(DAY);
    }
    images.push(img(100, [], T0 + 2 * DAY), img(101, [], T0 + 30 * DAY), img(102, ["dev"], T0));
    const policy = parseLifecyclePolicy(TUTORIAL);

    // Now = T0 + 35 days: untagged pushed at +2 d and +30 d; only the +2 d one is older than 7 days.
    const verdicts = evaluateLifecyclePolicy(policy, images, clock.now());
    const byRule = (p: number) => verdicts.filter((v) => v.appliedRulePriority === p).map((v) => v.image.tags[0] ?? v.image.digest);
    assert.deepEqual(byRule(1), [images[35]!.digest]);
    assert.deepEqual(byRule(2), ["release-0", "release-1", "release-2", "release-3", "release-4"]);
    assert.ok(!verdicts.some((v) => v.image.tags.includes("dev")), "images no rule selects are kept");

    // A week later the second untagged image expires too; the release set is unchanged.
    clock.advance(7 * DAY);
    const later = evaluateLifecyclePolicy(policy, images, clock.now());
    assert.equal(later.filter((v) => v.appliedRulePriority === 1).length, 2);
    assert.equal(later.filter((v) => v.appliedRulePriority === 2).length, 5);
    // Oldest first.
    const times = later.map((v) => v.image.pushedAt);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
  });

  test("an image selected by a higher-priority rule is never expired by a lower-priority one", () => {
    const policy = parseLifecyclePolicy(
      JSON.stringify({
        rules: [
          { rulePriority: 1, selection: { tagStatus: "tagged", tagPrefixList: ["prod"], countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } },
          { rulePriority: 2, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } },
        ],
      }),
    );
    const images = [img(1, ["prod-a"], T0), img(2, ["prod-b"], T0 + 1), img(3, ["beta"], T0 + 2)];
    const v = evaluateLifecyclePolicy(policy, images, T0 + 3);
    // Rule 1 keeps prod-b, expires prod-a. Rule 2 counts all three (newest first: beta, prod-b, prod-a),
    // would expire prod-b and prod-a, but both were selected by rule 1: nothing more expires.
    assert.deepEqual(
      v.map((x) => [x.image.tags[0], x.appliedRulePriority]),
      [["prod-a", 1]],
    );
  });

  test("tagPatternList wildcards; every listed prefix/pattern must match one of the image's tags", () => {
    const policy = parseLifecyclePolicy(
      JSON.stringify({
        rules: [
          { rulePriority: 1, selection: { tagStatus: "tagged", tagPatternList: ["*-rc*"], countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }, action: { type: "expire" } },
          { rulePriority: 2, selection: { tagStatus: "tagged", tagPrefixList: ["v1", "stable"], countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }, action: { type: "expire" } },
        ],
      }),
    );
    const images = [img(1, ["v2-rc1"], T0), img(2, ["v2"], T0), img(3, ["v1.0"], T0), img(4, ["v1.1", "stable"], T0)];
    const v = evaluateLifecyclePolicy(policy, images, T0 + 2 * DAY);
    assert.deepEqual(v.map((x) => x.image.tags[0]).sort(), ["v1.1", "v2-rc1"]);
  });

  test("validation: InvalidParameterException for invalid policies", () => {
    const bad = [
      "not json",
      JSON.stringify({ rules: [] }),
      JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } }] }),
      JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "weird", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } }] }),
      JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "any", countType: "sinceImagePushed", countNumber: 1 }, action: { type: "expire" } }] }),
      JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "delete" } }] }),
      JSON.stringify({
        rules: [
          { rulePriority: 1, selection: { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } },
          { rulePriority: 1, selection: { tagStatus: "tagged", tagPrefixList: ["a"], countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } },
        ],
      }),
      JSON.stringify({
        rules: [
          { rulePriority: 1, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } },
          { rulePriority: 2, selection: { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } },
        ],
      }),
      JSON.stringify({ rules: [{ rulePriority: 1.5, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } }] }),
    ];
    for (const text of bad) {
      assert.throws(() => parseLifecyclePolicy(text), (e: unknown) => e instanceof ServiceError && e.code === "InvalidParameterException", text);
    }
    assert.equal(parseLifecyclePolicy(TUTORIAL).rules.length, 2);
  });
});
