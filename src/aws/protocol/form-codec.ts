/**
 * Query-string (form) input decoding shared by awsQuery and ec2Query. The flat params
 * (`Targets.member.1.Id=…`) are folded into a tree, then walked with the input shape.
 */
import type { Shape } from "../model/index.ts";
import { isBase64 } from "./json-codec.ts";

interface Node {
  value: string | undefined;
  readonly children: Map<string, Node>;
}

export interface FormRules {
  /** The param name of a structure member. */
  memberKey(name: string, member: Shape): string;
  /** ec2Query: every list is flattened (`Name.N`). */
  readonly flattenLists: boolean;
}

/** awsQuery: xmlName trait or the member name; lists `X.member.N` unless xmlFlattened. */
export const queryRules: FormRules = {
  memberKey: (name, member) => member.memberTraits().xmlName ?? name,
  flattenLists: false,
};

/** ec2Query: ec2QueryName trait, else the capitalised xmlName/member name; lists `X.N`. */
export const ec2Rules: FormRules = {
  memberKey: (name, member) => {
    const t = member.memberTraits();
    if (t.ec2QueryName) return t.ec2QueryName;
    const key = t.xmlName ?? name;
    return key.charAt(0).toUpperCase() + key.slice(1);
  },
  flattenLists: true,
};

const SKIP = new Set(["Action", "Version"]);

export function formTree(form: URLSearchParams): Node {
  const root: Node = { value: undefined, children: new Map() };
  for (const [key, value] of form) {
    if (SKIP.has(key)) continue;
    let node = root;
    for (const part of key.split(".")) {
      let next = node.children.get(part);
      if (!next) {
        next = { value: undefined, children: new Map() };
        node.children.set(part, next);
      }
      node = next;
    }
    node.value = value;
  }
  return root;
}

/** Decodes the tree for `shape`; malformed scalars are appended to `errors`. */
export function decodeForm(shape: Shape, node: Node | undefined, path: string, rules: FormRules, errors: string[]): unknown {
  if (!node) return undefined;
  switch (shape.kind) {
    case "structure":
    case "union": {
      const out: Record<string, unknown> = {};
      for (const [name, member] of shape.members()) {
        const key = rules.memberKey(name, member);
        const v = decodeForm(member, node.children.get(key), path ? `${path}.${key}` : key, rules, errors);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case "list": {
      const item = shape.listMember();
      const flat = rules.flattenLists || shape.traits().xmlFlattened === true;
      const holder = flat ? node : node.children.get(item.traits().xmlName ?? "member");
      return indexed(holder).map(([i, n]) => decodeForm(item, n, `${path}.${i}`, rules, errors));
    }
    case "map": {
      const flat = shape.traits().xmlFlattened === true;
      const holder = flat ? node : node.children.get("entry");
      const keyName = shape.mapKey().traits().xmlName ?? "key";
      const valueShape = shape.mapValue();
      const valueName = valueShape.traits().xmlName ?? "value";
      const out: Array<[string, unknown]> = [];
      for (const [i, entry] of indexed(holder)) {
        const k = entry.children.get(keyName)?.value;
        if (k === undefined) continue;
        // A missing value stays undefined, for validation to refuse (maps are not sparse).
        out.push([k, decodeForm(valueShape, entry.children.get(valueName), `${path}.${i}`, rules, errors)]);
      }
      // fromEntries: a "__proto__" key becomes an own property, never the prototype.
      return Object.fromEntries(out);
    }
    default:
      return node.value === undefined ? undefined : scalar(shape, node.value, path, errors);
  }
}

function indexed(node: Node | undefined): Array<[number, Node]> {
  if (!node) return [];
  return [...node.children]
    .filter(([k]) => /^[1-9]\d*$/.test(k))
    .map(([k, n]) => [Number(k), n] as [number, Node])
    .sort((a, b) => a[0] - b[0]);
}

function scalar(shape: Shape, text: string, path: string, errors: string[]): unknown {
  switch (shape.kind) {
    case "boolean":
      if (text === "true" || text === "false") return text === "true";
      break;
    case "number":
    case "bigDecimal": {
      const n = Number(text);
      if (text.trim() !== "" && !Number.isNaN(n)) return n;
      if (text === "NaN") return Number.NaN;
      break;
    }
    case "bigInteger":
      if (/^-?\d+$/.test(text)) return BigInt(text);
      break;
    case "timestamp": {
      const d = new Date(/^-?\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : text);
      if (!Number.isNaN(d.getTime())) return d;
      break;
    }
    case "blob":
      if (isBase64(text)) return new Uint8Array(Buffer.from(text, "base64"));
      break;
    default:
      return text;
  }
  errors.push(`Value '${text}' at '${path}' failed to satisfy constraint: Member must be a valid ${shape.kind}`);
  return undefined;
}
