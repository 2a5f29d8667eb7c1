/**
 * CloudWatch Logs filter patterns, the subset clients use (the syntax is AWS's, see
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 *
 *   ""                     every event
 *   ERROR timeout          every term present (case-sensitive substring match)
 *   "connection reset"     a quoted phrase is one term (\" escapes a quote)
 *   ?ERROR ?WARN           any of the `?` terms present (combined with the plain terms by AND)
 *   ERROR -healthcheck     `-` excludes events containing the term
 *   { $.level = "error" }  JSON: = != < <= > >=, strings (with `*` wildcards) and numbers,
 *                          `IS NULL`, `NOT EXISTS`, `&&`, `||`, parentheses; selectors $.a.b, $.a[0]
 *
 * parseFilterPattern() throws FilterPatternError on text it cannot parse (the domain turns that
 * into InvalidParameterException).
 */
import { compileGlob } from "../../core/glob.ts";

export class FilterPatternError extends Error {
  override name = "FilterPatternError";
}

export type Matcher = (message: string) => boolean;

export function parseFilterPattern(pattern: string | undefined): Matcher {
  const text = (pattern ?? "").trim();
  if (text === "") return () => true;
  if (text.startsWith("{")) return parseJsonPattern(text);
  if (text.startsWith("[")) throw new FilterPatternError("Space-delimited filter patterns ([...]) are not supported");
  return parseTermPattern(text);
}

// ---- term patterns ----

interface Term {
  kind: "all" | "any" | "not";
  text: string;
}

export function tokenizeTerms(text: string): Term[] {
  const terms: Term[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    let kind: Term["kind"] = "all";
    if (ch === "?" || ch === "-") {
      kind = ch === "?" ? "any" : "not";
      i++;
      if (i >= text.length || /\s/.test(text[i]!)) throw new FilterPatternError(`Invalid filter pattern: dangling '${ch}'`);
    }
    let term = "";
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length) {
          term += text[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        term += c;
        i++;
      }
      if (!closed) throw new FilterPatternError("Invalid filter pattern: unterminated quoted term");
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) term += text[i++];
    }
    if (term !== "") terms.push({ kind, text: term });
  }
  return terms;
}

function parseTermPattern(text: string): Matcher {
  const terms = tokenizeTerms(text);
  const all = terms.filter((t) => t.kind === "all").map((t) => t.text);
  const any = terms.filter((t) => t.kind === "any").map((t) => t.text);
  const not = terms.filter((t) => t.kind === "not").map((t) => t.text);
  return (m) =>
    all.every((t) => m.includes(t)) && (any.length === 0 || any.some((t) => m.includes(t))) && !not.some((t) => m.includes(t));
}

// ---- JSON patterns ----

type Node =
  | { op: "and" | "or"; left: Node; right: Node }
  | { op: "cmp"; path: (string | number)[]; cmp: string; value: string | number | boolean | null }
  | { op: "exists"; path: (string | number)[]; negate: boolean }
  | { op: "null"; path: (string | number)[] };

type Tok = { t: "sym"; v: string } | { t: "str"; v: string } | { t: "num"; v: number } | { t: "word"; v: string } | { t: "sel"; v: (string | number)[] };

function lexJson(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (["&&", "||", "!=", ">=", "<="].includes(two)) {
      out.push({ t: "sym", v: two });
      i += 2;
      continue;
    }
    if ("{}()=<>".includes(c)) {
      out.push({ t: "sym", v: c });
      i++;
      continue;
    }
    if (c === '"') {
      let s = "";
      i++;
      let closed = false;
      while (i < src.length) {
        if (src[i] === "\\" && i + 1 < src.length) {
          s += src[i + 1];
          i += 2;
          continue;
        }
        if (src[i] === '"') {
          closed = true;
          i++;
          break;
        }
        s += src[i++];
      }
      if (!closed) throw new FilterPatternError("Invalid filter pattern: unterminated string");
      out.push({ t: "str", v: s });
      continue;
    }
    if (c === "$") {
      i++;
      const path: (string | number)[] = [];
      while (i < src.length) {
        if (src[i] === ".") {
          i++;
          let name = "";
          while (i < src.length && /[A-Za-z0-9_\-@]/.test(src[i]!)) name += src[i++];
          if (!name) throw new FilterPatternError("Invalid filter pattern: empty selector segment");
          path.push(name);
        } else if (src[i] === "[") {
          const end = src.indexOf("]", i);
          if (end < 0) throw new FilterPatternError("Invalid filter pattern: unterminated selector index");
          const idx = Number(src.slice(i + 1, end));
          if (!Number.isInteger(idx)) throw new FilterPatternError("Invalid filter pattern: bad selector index");
          path.push(idx);
          i = end + 1;
        } else break;
      }
      out.push({ t: "sel", v: path });
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_*][A-Za-z0-9_*\-.]*/.exec(src.slice(i));
    if (word) {
      out.push({ t: "word", v: word[0] });
      i += word[0].length;
      continue;
    }
    throw new FilterPatternError(`Invalid filter pattern: unexpected '${c}'`);
  }
  return out;
}

function parseJsonPattern(text: string): Matcher {
  const toks = lexJson(text);
  let p = 0;
  const peek = () => toks[p];
  const eat = (v: string) => {
    const t = toks[p];
    if (!t || t.t !== "sym" || t.v !== v) throw new FilterPatternError(`Invalid filter pattern: expected '${v}'`);
    p++;
  };
  const isSym = (v: string) => {
    const t = peek();
    return t?.t === "sym" && t.v === v;
  };
  const isWord = (v: string) => {
    const t = peek();
    return t?.t === "word" && t.v.toUpperCase() === v;
  };

  const expr = (): Node => {
    let left = conj();
    while (isSym("||")) {
      p++;
      left = { op: "or", left, right: conj() };
    }
    return left;
  };
  const conj = (): Node => {
    let left = atom();
    while (isSym("&&")) {
      p++;
      left = { op: "and", left, right: atom() };
    }
    return left;
  };
  const atom = (): Node => {
    if (isSym("(")) {
      p++;
      const n = expr();
      eat(")");
      return n;
    }
    const sel = toks[p++];
    if (!sel || sel.t !== "sel") throw new FilterPatternError("Invalid filter pattern: expected a $. selector");
    if (isWord("IS")) {
      p++;
      if (!isWord("NULL")) throw new FilterPatternError("Invalid filter pattern: expected NULL");
      p++;
      return { op: "null", path: sel.v };
    }
    if (isWord("NOT")) {
      p++;
      if (!isWord("EXISTS")) throw new FilterPatternError("Invalid filter pattern: expected EXISTS");
      p++;
      return { op: "exists", path: sel.v, negate: true };
    }
    if (isWord("EXISTS")) {
      p++;
      return { op: "exists", path: sel.v, negate: false };
    }
    const cmpTok = toks[p++];
    if (!cmpTok || cmpTok.t !== "sym" || !["=", "!=", "<", "<=", ">", ">="].includes(cmpTok.v))
      throw new FilterPatternError("Invalid filter pattern: expected a comparison operator");
    const valTok = toks[p++];
    let value: string | number | boolean | null;
    if (!valTok) throw new FilterPatternError("Invalid filter pattern: expected a value");
    if (valTok.t === "str" || valTok.t === "num") value = valTok.v;
    else if (valTok.t === "word") {
      const w = valTok.v;
      value = w === "true" ? true : w === "false" ? false : w === "null" ? null : w;
    } else throw new FilterPatternError("Invalid filter pattern: expected a value");
    if (["<", "<=", ">", ">="].includes(cmpTok.v) && typeof value !== "number")
      throw new FilterPatternError("Invalid filter pattern: numeric comparison needs a number");
    return { op: "cmp", path: sel.v, cmp: cmpTok.v, value };
  };

  eat("{");
  const root = expr();
  eat("}");
  if (p !== toks.length) throw new FilterPatternError("Invalid filter pattern: trailing text after '}'");

  return (message) => {
    let doc: unknown;
    try {
      doc = JSON.parse(message);
    } catch {
      return false;
    }
    if (doc === null || typeof doc !== "object") return false;
    return evalNode(root, doc);
  };
}

const MISSING = Symbol("missing");

function select(doc: unknown, path: (string | number)[]): unknown {
  let cur: unknown = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return MISSING;
    const next = (cur as Record<string | number, unknown>)[seg];
    if (next === undefined) return MISSING;
    cur = next;
  }
  return cur;
}

function evalNode(n: Node, doc: unknown): boolean {
  switch (n.op) {
    case "and":
      return evalNode(n.left, doc) && evalNode(n.right, doc);
    case "or":
      return evalNode(n.left, doc) || evalNode(n.right, doc);
    case "null":
      return select(doc, n.path) === null;
    case "exists":
      return (select(doc, n.path) !== MISSING) !== n.negate;
    case "cmp": {
      const v = select(doc, n.path);
      if (v === MISSING) return false;
      if (typeof n.value === "number") {
        const num = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
        if (Number.isNaN(num)) return n.cmp === "!=";
        switch (n.cmp) {
          case "=":
            return num === n.value;
          case "!=":
            return num !== n.value;
          case "<":
            return num < n.value;
          case "<=":
            return num <= n.value;
          case ">":
            return num > n.value;
          default:
            return num >= n.value;
        }
      }
      let eq: boolean;
      if (typeof n.value === "string") eq = (typeof v === "string" || typeof v === "number" || typeof v === "boolean") && compileGlob(n.value).matches(String(v));
      else eq = v === n.value;
      return n.cmp === "=" ? eq : !eq;
    }
  }
}
