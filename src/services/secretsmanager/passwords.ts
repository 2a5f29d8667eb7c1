/**
 * GetRandomPassword (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html):
 * characters drawn with a CSPRNG from letters, digits and punctuation, minus what the request
 * excludes, with at least one of each included type unless RequireEachIncludedType is false.
 */
import { randomInt } from "node:crypto";
import type * as sm from "@aws-sdk/client-secrets-manager";
import { constraint, invalidParameter } from "./errors.ts";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

export function randomPassword(input: sm.GetRandomPasswordRequest): string {
  const length = input.PasswordLength ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 4096)
    throw constraint(length, "passwordLength", `Member must have value ${length < 1 ? "greater than or equal to 1" : "less than or equal to 4096"}`);
  const excluded = new Set(input.ExcludeCharacters ?? "");
  const keep = (chars: string) => [...chars].filter((c) => !excluded.has(c)).join("");
  const classes = [
    input.ExcludeLowercase ? "" : keep(LOWER),
    input.ExcludeUppercase ? "" : keep(UPPER),
    input.ExcludeNumbers ? "" : keep(DIGITS),
    input.ExcludePunctuation ? "" : keep(PUNCTUATION),
    input.IncludeSpace ? keep(" ") : "",
  ].filter((c) => c.length > 0);
  const all = classes.join("");
  if (all.length === 0) throw invalidParameter("The password cannot be generated: every character type is excluded.");
  const requireEach = input.RequireEachIncludedType ?? true;
  if (requireEach && length < classes.length) throw invalidParameter("Password length is too short based on the required types.");
  const out = Array.from({ length }, () => all[randomInt(all.length)]!);
  if (requireEach) {
    // One character of each type at distinct random positions.
    const positions = new Set<number>();
    while (positions.size < classes.length) positions.add(randomInt(length));
    [...positions].forEach((p, i) => {
      const cls = classes[i]!;
      out[p] = cls[randomInt(cls.length)]!;
    });
  }
  return out.join("");
}
