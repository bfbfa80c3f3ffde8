/**
 * Parameter names from a function's source text, so traced inputs read `{question: "..."}`
 * instead of `{args: [...]}`. Parsed once per wrapped function, never per call.
 */

const IDENT = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*/u;
const BARE_ARROW = /^(?:async\s+)?([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)\s*=>/u;

/**
 * One entry per declared parameter, in order: its name, or `null` for a destructured
 * (`{a}`, `[a]`) or rest (`...a`) parameter, which have no single name. Empty when the source
 * cannot be read (native or bound functions, classes).
 *
 * @example
 * ```ts
 * parameterNames(function (a, { b }, c = f(1, 2), ...rest) {}); // ["a", null, "c", null]
 * ```
 */
export function parameterNames(fn: Function): Array<string | null> {
  let src: string;
  try {
    src = Function.prototype.toString.call(fn).trim();
  } catch {
    return [];
  }
  if (/^class\b/.test(src)) return [];
  const bare = BARE_ARROW.exec(src);
  if (bare) return [bare[1]];
  const open = src.indexOf("(");
  if (open < 0) return [];
  const segments = splitTopLevel(src, open + 1);
  if (segments === null) return [];
  return segments
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (s.startsWith("...") || s.startsWith("{") || s.startsWith("[")) return null;
      const m = IDENT.exec(s);
      return m ? m[0] : null;
    });
}

/**
 * Splits the parameter list starting at `start` (just after `(`) on top-level commas, dropping
 * comments and skipping strings, until the matching `)`. `null` if the list never closes.
 */
function splitTopLevel(src: string, start: number): string[] | null {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      const end = src.indexOf("\n", i);
      i = end < 0 ? src.length : end;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      cur += src.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) {
        out.push(cur);
        return out;
      }
      depth--;
    } else if (c === "," && depth === 0) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  return null;
}

/**
 * The inputs object of one call: `{name: arg}` for each named parameter that received an
 * argument; `{args: [...]}` when no parameter has a usable name; `{}` for no arguments.
 */
export function inputsFor(names: Array<string | null>, args: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let named = false;
  const n = Math.min(names.length, args.length);
  for (let i = 0; i < n; i++) {
    const name = names[i];
    if (name !== null) {
      out[name] = args[i];
      named = true;
    }
  }
  if (!named && args.length > 0 && !names.some((x) => x !== null)) return { args };
  return out;
}

/**
 * `'"name":'` per parameter when every parameter has a distinct usable name (then
 * `primitiveInputs` applies), else `null`.
 */
export function inputKeys(names: Array<string | null>): string[] | null {
  if (names.length === 0 || names.length > 16) return null;
  const seen = new Set<string>();
  for (const n of names) {
    // `__proto__` as an object key would set the prototype: leave it to `inputsFor`.
    if (n === null || n === "__proto__" || seen.has(n)) return null;
    seen.add(n);
  }
  return names.map((n) => JSON.stringify(n) + ":");
}

/**
 * The JSON text `toJsonText(inputsFor(names, args))` gives, built directly when every argument
 * is a primitive `primitiveJson` writes (the common case: no object, no JSON.stringify call);
 * `undefined` otherwise.
 */
export function primitiveInputs(
  keys: string[],
  args: unknown[],
  primitiveJson: (v: unknown) => string | undefined,
): string | undefined {
  const n = Math.min(keys.length, args.length);
  let out = "{";
  for (let i = 0; i < n; i++) {
    const v = primitiveJson(args[i]);
    if (v === undefined) return undefined;
    out += (i === 0 ? "" : ",") + keys[i] + v;
  }
  return out + "}";
}
