// Where a line of JSON goes wrong. JSON.parse's messages differ across Node versions and often
// carry no position (Node 20: `Unexpected token '}', "..." is not valid JSON`), so a failed line
// is scanned again here. Iterative, so deeply nested input cannot overflow the stack.

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** Index of the first character that makes `text` invalid JSON (`text.length` if it ends too early), or -1 if it is valid. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const stack: ("{" | "[")[] = [];
  const skipWhitespace = () => {
    while (i < text.length && WHITESPACE.has(text[i] as string)) i++;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    i++;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return true;
      }
      if (c === "\\") {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) return false;
        i = ESCAPE.lastIndex;
      } else if (c < " ") return false;
      else i++;
    }
    return false;
  };
  const key = (): boolean => {
    skipWhitespace();
    if (!string()) return false;
    skipWhitespace();
    if (text[i] !== ":") return false;
    i++;
    return true;
  };
  const scalar = (): boolean => {
    if (text[i] === '"') return string();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return true;
      }
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) return false;
    i = NUMBER.lastIndex;
    return true;
  };

  for (;;) {
    skipWhitespace();
    const open = text[i];
    if (open === "{" || open === "[") {
      i++;
      skipWhitespace();
      if (text[i] === (open === "{" ? "}" : "]")) i++;
      else {
        stack.push(open);
        if (open === "{" && !key()) return i;
        continue;
      }
    } else if (!scalar()) return i;
    // After a value: close containers, or take a comma and go on to the next value.
    for (;;) {
      skipWhitespace();
      const top = stack.at(-1);
      if (top === undefined) return i < text.length ? i : -1;
      if (text[i] === (top === "{" ? "}" : "]")) {
        i++;
        stack.pop();
        continue;
      }
      if (text[i] !== ",") return i;
      i++;
      if (top === "{" && !key()) return i;
      break;
    }
  }
}

/** `at column 15 (unexpected "}")` or `(it ends too early)`; columns are 1-based. */
export function describeJsonError(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === -1) return "";
  if (offset >= text.length) return "(it ends too early)";
  return `at column ${offset + 1} (unexpected ${JSON.stringify(String.fromCodePoint(text.codePointAt(offset) ?? 0))})`;
}
