/**
 * Regular expressions a client supplies (SSM's AllowedPattern is one by definition) are never
 * compiled into a JavaScript RegExp: a backtracking engine can spend exponential time on a crafted
 * pattern. They are parsed here and matched by a Thompson NFA simulation (a "Pike VM"), whose cost
 * is the input's length times the program's size, whatever the pattern.
 *
 * The syntax is the common core of Java's and JavaScript's: literals, `.`, classes `[a-z\d_-]`
 * and `[^…]`, `\d \D \w \W \s \S`, `\b \B`, `^ $`, escapes (`\t \n \r \f \v \0 \xhh \uhhhh`,
 * escaped punctuation), groups `( )` and `(?: )`, alternation, and the quantifiers `* + ? {m}
 * {m,} {m,n}` (lazy and possessive suffixes are accepted; for a yes/no match they change
 * nothing). Back-references and lookaround need backtracking and are refused, as are programs
 * larger than MAX_PROGRAM (a bounded repeat is unrolled) and nesting deeper than MAX_DEPTH: the
 * parser answers undefined and the caller refuses the pattern with its service's error.
 */

const MAX_PROGRAM = 5_000;
const MAX_DEPTH = 64;
const UNBOUNDED = -1;

type Pred = (c: number) => boolean;

type Node =
  | { readonly t: "char"; readonly p: Pred }
  | { readonly t: "seq"; readonly items: readonly Node[] }
  | { readonly t: "alt"; readonly items: readonly Node[] }
  | { readonly t: "rep"; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly t: "assert"; readonly kind: "bol" | "eol" | "word" | "nonword" };

type Inst =
  | { op: "char"; p: Pred }
  | { op: "split"; x: number; y: number }
  | { op: "jmp"; x: number }
  | { op: "assert"; kind: "bol" | "eol" | "word" | "nonword" }
  | { op: "match" };

export interface LinearPattern {
  /** True when the pattern matches somewhere in `text` (anchor it with ^ and $ for a full match). */
  test(text: string): boolean;
}

class Refused extends Error {}

/** The compiled pattern, or undefined when it is not valid or needs backtracking. */
export function linearRegExp(source: string): LinearPattern | undefined {
  let prog: Inst[];
  try {
    const node = new Parser(source).parse();
    prog = [];
    emit(node, prog);
    prog.push({ op: "match" });
    if (prog.length > MAX_PROGRAM) return undefined;
  } catch (err) {
    if (err instanceof Refused) return undefined;
    throw err;
  }
  return { test: (text) => run(prog, text) };
}

// ---- parsing --------------------------------------------------------------------------------

class Parser {
  readonly #s: string;
  #i = 0;
  #depth = 0;
  constructor(s: string) {
    this.#s = s;
  }

  parse(): Node {
    const n = this.#alt();
    if (this.#i < this.#s.length) throw new Refused();
    return n;
  }

  #peek(): string | undefined {
    return this.#s[this.#i];
  }

  #alt(): Node {
    const items = [this.#seq()];
    while (this.#peek() === "|") {
      this.#i++;
      items.push(this.#seq());
    }
    return items.length === 1 ? items[0]! : { t: "alt", items };
  }

  #seq(): Node {
    const items: Node[] = [];
    for (let c = this.#peek(); c !== undefined && c !== "|" && c !== ")"; c = this.#peek()) {
      const atom = this.#atom();
      items.push(this.#quantified(atom));
    }
    return { t: "seq", items };
  }

  #quantified(atom: Node): Node {
    let node = atom;
    for (;;) {
      const c = this.#peek();
      let min: number;
      let max: number;
      if (c === "*") [min, max] = [0, UNBOUNDED];
      else if (c === "+") [min, max] = [1, UNBOUNDED];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{" && /^\{\d+(,\d*)?\}/.test(this.#s.slice(this.#i, this.#i + 24))) {
        const end = this.#s.indexOf("}", this.#i);
        const [a, b] = this.#s.slice(this.#i + 1, end).split(",");
        min = Number(a);
        max = b === undefined ? min : b === "" ? UNBOUNDED : Number(b);
        if (min > 1000 || max > 1000 || (max !== UNBOUNDED && max < min)) throw new Refused();
        this.#i = end;
      } else return node;
      this.#i++;
      if (node.t === "assert") throw new Refused();
      // Lazy and possessive suffixes: same yes/no answer.
      if (this.#peek() === "?" || this.#peek() === "+") this.#i++;
      node = { t: "rep", node, min, max };
    }
  }

  #atom(): Node {
    const c = this.#s[this.#i++]!;
    switch (c) {
      case "(": {
        if (++this.#depth > MAX_DEPTH) throw new Refused();
        if (this.#peek() === "?") {
          // Only non-capturing groups; lookaround, named groups, flags and the like are refused.
          if (this.#s[this.#i + 1] !== ":") throw new Refused();
          this.#i += 2;
        }
        const inner = this.#alt();
        if (this.#s[this.#i++] !== ")") throw new Refused();
        this.#depth--;
        return inner;
      }
      case ")":
        throw new Refused();
      case "[":
        return { t: "char", p: this.#class() };
      case ".":
        return { t: "char", p: (x) => x !== 0x0a && x !== 0x0d };
      case "^":
        return { t: "assert", kind: "bol" };
      case "$":
        return { t: "assert", kind: "eol" };
      case "\\":
        return this.#escape(false);
      case "*":
      case "+":
      case "?":
        throw new Refused();
      default: {
        const cp = c.codePointAt(0)!;
        if (cp >= 0xd800 && cp <= 0xdbff && this.#i < this.#s.length) {
          const full = this.#s.codePointAt(this.#i - 1)!;
          this.#i++;
          return { t: "char", p: (x) => x === full };
        }
        return { t: "char", p: (x) => x === cp };
      }
    }
  }

  /** After a backslash: a class escape, an assertion, or one character. */
  #escape(inClass: boolean): Node {
    const c = this.#s[this.#i++];
    if (c === undefined) throw new Refused();
    const cls = CLASS_ESCAPES[c];
    if (cls) return { t: "char", p: cls };
    if (!inClass && (c === "b" || c === "B")) return { t: "assert", kind: c === "b" ? "word" : "nonword" };
    const cp = this.#escapedChar(c);
    return { t: "char", p: (x) => x === cp };
  }

  #escapedChar(c: string): number {
    const simple: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, "0": 0 };
    if (simple[c] !== undefined) return simple[c];
    if (c === "x" || c === "u") {
      const len = c === "x" ? 2 : 4;
      const hex = this.#s.slice(this.#i, this.#i + len);
      if (hex.length !== len || [...hex].some((h) => Number.isNaN(Number.parseInt(h, 16)))) throw new Refused();
      this.#i += len;
      return Number.parseInt(hex, 16);
    }
    // Back-references (\1, \k<name>) and escapes with other meanings (\p, \Q, \c…) are refused.
    if (/[0-9A-Za-z]/.test(c)) throw new Refused();
    return c.codePointAt(0)!;
  }

  #class(): Pred {
    const negate = this.#peek() === "^";
    if (negate) this.#i++;
    const parts: Pred[] = [];
    let first = true;
    for (;;) {
      const c = this.#s[this.#i++];
      if (c === undefined) throw new Refused();
      if (c === "]" && !first) break;
      first = false;
      if (c === "[" || (c === "&" && this.#peek() === "&")) throw new Refused(); // Java's nested classes and intersections
      let lo: number;
      if (c === "\\") {
        const e = this.#s[this.#i];
        if (e !== undefined && CLASS_ESCAPES[e]) {
          this.#i++;
          parts.push(CLASS_ESCAPES[e]);
          continue;
        }
        this.#i++;
        if (e === undefined) throw new Refused();
        lo = this.#escapedChar(e);
      } else lo = c.codePointAt(0)!;
      if (this.#peek() === "-" && this.#s[this.#i + 1] !== "]" && this.#s[this.#i + 1] !== undefined) {
        this.#i++;
        const d = this.#s[this.#i++]!;
        let hi: number;
        if (d === "\\") {
          const e = this.#s[this.#i++];
          if (e === undefined || CLASS_ESCAPES[e]) throw new Refused();
          hi = this.#escapedChar(e);
        } else hi = d.codePointAt(0)!;
        if (hi < lo) throw new Refused();
        parts.push((x) => x >= lo && x <= hi);
      } else {
        const v = lo;
        parts.push((x) => x === v);
      }
    }
    return negate ? (x) => !parts.some((p) => p(x)) : (x) => parts.some((p) => p(x));
  }
}

const isDigit: Pred = (x) => x >= 0x30 && x <= 0x39;
const isWord: Pred = (x) => isDigit(x) || (x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a) || x === 0x5f;
const isSpace: Pred = (x) => x === 0x20 || (x >= 0x09 && x <= 0x0d);
const CLASS_ESCAPES: Readonly<Record<string, Pred>> = {
  d: isDigit,
  D: (x) => !isDigit(x),
  w: isWord,
  W: (x) => !isWord(x),
  s: isSpace,
  S: (x) => !isSpace(x),
};

// ---- compiling ------------------------------------------------------------------------------

function emit(node: Node, prog: Inst[]): void {
  if (prog.length > MAX_PROGRAM) throw new Refused();
  switch (node.t) {
    case "char":
      prog.push({ op: "char", p: node.p });
      return;
    case "assert":
      prog.push({ op: "assert", kind: node.kind });
      return;
    case "seq":
      for (const n of node.items) emit(n, prog);
      return;
    case "alt": {
      // split L1, L2 / L1: a; jmp end / L2: split … / last: z
      const jumps: Inst[] = [];
      node.items.forEach((item, i) => {
        if (i < node.items.length - 1) {
          const split: Inst = { op: "split", x: prog.length + 1, y: 0 };
          prog.push(split);
          emit(item, prog);
          const j: Inst = { op: "jmp", x: 0 };
          prog.push(j);
          jumps.push(j);
          (split as { y: number }).y = prog.length;
        } else emit(item, prog);
      });
      for (const j of jumps) (j as { x: number }).x = prog.length;
      return;
    }
    case "rep": {
      for (let i = 0; i < node.min; i++) emit(node.node, prog);
      if (node.max === UNBOUNDED) {
        const loop = prog.length;
        const split: Inst = { op: "split", x: loop + 1, y: 0 };
        prog.push(split);
        emit(node.node, prog);
        prog.push({ op: "jmp", x: loop });
        (split as { y: number }).y = prog.length;
        return;
      }
      const exits: Inst[] = [];
      for (let i = node.min; i < node.max; i++) {
        const split: Inst = { op: "split", x: prog.length + 1, y: 0 };
        prog.push(split);
        exits.push(split);
        emit(node.node, prog);
      }
      for (const s of exits) (s as { y: number }).y = prog.length;
      return;
    }
  }
}

// ---- matching -------------------------------------------------------------------------------

function run(prog: readonly Inst[], text: string): boolean {
  const cps: number[] = [];
  for (const ch of text) cps.push(ch.codePointAt(0)!);
  const n = cps.length;
  let current: number[] = [];
  let next: number[] = [];
  const seen = new Int32Array(prog.length).fill(-1);
  const stack: number[] = [];

  /** Adds pc and everything reachable from it without consuming a character, at position i. */
  const add = (list: number[], start: number, i: number, generation: number): boolean => {
    stack.push(start);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (seen[pc] === generation) continue;
      seen[pc] = generation;
      const inst = prog[pc]!;
      switch (inst.op) {
        case "match":
          stack.length = 0;
          return true;
        case "jmp":
          stack.push(inst.x);
          break;
        case "split":
          stack.push(inst.y, inst.x);
          break;
        case "assert":
          if (holds(inst.kind, cps, i)) stack.push(pc + 1);
          break;
        case "char":
          list.push(pc);
          break;
      }
    }
    return false;
  };

  for (let i = 0; i <= n; i++) {
    // Unanchored search: a thread starts at every position (^ pins it to the start).
    if (add(current, 0, i, i)) return true;
    if (i === n) break;
    const c = cps[i]!;
    next.length = 0;
    for (const pc of current) {
      const inst = prog[pc] as { op: "char"; p: Pred };
      if (inst.p(c) && add(next, pc + 1, i + 1, i + 1)) return true;
    }
    [current, next] = [next, current];
  }
  return false;
}

function holds(kind: "bol" | "eol" | "word" | "nonword", cps: readonly number[], i: number): boolean {
  if (kind === "bol") return i === 0;
  if (kind === "eol") return i === cps.length;
  const before = i > 0 && isWord(cps[i - 1]!);
  const after = i < cps.length && isWord(cps[i]!);
  return kind === "word" ? before !== after : before === after;
}
