/**
 * Parameter names, ARNs, selectors and paths. Rules from
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html#sysman-parameter-name-constraints
 * and the PutParameter / GetParameter pages: letters, digits, "_.-" and "/" as the hierarchy
 * separator; at most 15 levels; no "aws" or "ssm" prefix; a name may be given as its ARN where the
 * API says "name or ARN", and `name:version` or `name:label` selects a version.
 */
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import { constraint, hierarchyLevelLimit, validation } from "./errors.ts";

const CHARS = /^[a-zA-Z0-9_.\-/]+$/;
const MAX_NAME = 2048;
/** The usable maximum: the ARN up to and including the name may not exceed 1011 characters. */
const MAX_ARN = 1011;
const MAX_DEPTH = 15;

const PATH_RULE =
  'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/** "/a/b" and "a/b" are one parameter (they have the same ARN): the key drops the leading "/". */
export const keyOf = (name: string) => (name.startsWith("/") ? name.slice(1) : name);

export const parameterArn = (scope: Scope, name: string) => arn("ssm", scope, `parameter/${keyOf(name)}`);

/** Checks a name being written (PutParameter): characters, reserved prefixes, length, depth. */
export function checkWriteName(scope: Scope, raw: string | undefined): string {
  const name = checkReadName(raw);
  const bare = keyOf(name).toLowerCase();
  if (!name.startsWith("/") && (bare.startsWith("aws") || bare.startsWith("ssm")))
    throw validation('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
  if (name.startsWith("/") && bare.startsWith("ssm")) throw validation(PATH_RULE);
  if (parameterArn(scope, name).length > MAX_ARN)
    throw validation(`Parameter name must be at most ${MAX_ARN} characters long, including the ARN prefix ${parameterArn(scope, "")}.`);
  if (name.split("/").filter(Boolean).length > MAX_DEPTH) throw hierarchyLevelLimit();
  return name;
}

/** Checks a name being read: AWS trims surrounding spaces; other characters outside the set are refused. */
export function checkReadName(raw: string | undefined): string {
  const name = (raw ?? "").trim();
  if (name.length < 1 || name.length > MAX_NAME)
    throw constraint(raw, "name", `Member must have length ${name.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_NAME}`}`);
  if (!CHARS.test(name) || name.includes("//") || (name.length > 1 && name.endsWith("/"))) throw validation(PATH_RULE);
  return name;
}

export interface Reference {
  /** The name as requested (ARN resolved to its name). */
  readonly name: string;
  readonly key: string;
  readonly scope: Scope;
  /** "3" or "label", without the colon. */
  readonly selector: string | undefined;
}

/**
 * A name, an ARN, either with a `:version` or `:label` selector. An ARN's name is "/" + the part
 * after "parameter/" when that part is a path, else the bare name.
 */
export function parseReference(scope: Scope, ref: string | undefined): Reference {
  const raw = ref ?? "";
  let s = scope;
  let body = raw;
  if (raw.startsWith("arn:")) {
    const p = parseArn(raw);
    if (p?.service !== "ssm" || !p.resource.startsWith("parameter/")) throw validation(PATH_RULE);
    s = { accountId: p.accountId || scope.accountId, region: p.region };
    const rest = p.resource.slice("parameter/".length);
    body = rest.includes("/") ? `/${rest}` : rest;
  }
  const colon = body.indexOf(":");
  const selector = colon < 0 ? undefined : body.slice(colon + 1);
  const name = checkReadName(colon < 0 ? body : body.slice(0, colon));
  if (selector !== undefined && selector.length === 0) throw validation(PATH_RULE);
  return { name, key: keyOf(name), scope: s, selector };
}

/** A path for GetParametersByPath: "/" or "/a/b" (trailing "/" optional) → the key prefix ("" or "a/b/"). */
export function pathPrefix(path: string | undefined): string {
  const p = path ?? "";
  if (!p.startsWith("/") || (p.length > 1 && !CHARS.test(p)) || p.includes("//"))
    throw validation(
      'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.',
    );
  return keyOf(p.endsWith("/") ? p : `${p}/`);
}
