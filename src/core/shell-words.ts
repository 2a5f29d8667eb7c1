/**
 * Splits a command line into words the way a shell does for plain words and quotes: whitespace
 * separates, single and double quotes group (and are removed). No expansion, no escapes, no
 * operators: "sh -c 'echo hi'" → ["sh", "-c", "echo hi"].
 */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let any = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) out.push(cur);
      cur = "";
      any = false;
    } else {
      cur += ch;
    }
  }
  if (cur || any) out.push(cur);
  return out;
}
