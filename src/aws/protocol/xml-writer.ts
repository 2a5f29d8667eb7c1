/** A tiny, escaping XML writer: elements are written in call order (schema order). */
export class XmlWriter {
  readonly #parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];

  open(name: string, attrs?: Readonly<Record<string, string | undefined>>): this {
    let tag = `<${name}`;
    for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined) tag += ` ${k}="${escapeXml(v)}"`;
    this.#parts.push(`${tag}>`);
    return this;
  }

  close(name: string): this {
    this.#parts.push(`</${name}>`);
    return this;
  }

  /** `<name>text</name>` (escaped). */
  leaf(name: string, text: string): this {
    this.#parts.push(`<${name}>${escapeXml(text)}</${name}>`);
    return this;
  }

  empty(name: string): this {
    this.#parts.push(`<${name}/>`);
    return this;
  }

  toString(): string {
    return this.#parts.join("");
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#xD;",
  "\u0085": "&#x85;",
  "\u2028": "&#x2028;",
};

export function escapeXml(text: string): string {
  // Characters not allowed in XML 1.0 are dropped.
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
      .replace(/[&<>"'\r\u0085\u2028]/g, (c) => ESCAPES[c] ?? c)
  );
}
