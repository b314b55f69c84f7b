// Shell for the guest's /bin/sh, built only through the `sh` tagged template:
// the template's literal text is the script's code, and every value put in
// it is one quoted word (a string), a number, a list of quoted words, or a
// Script built the same way. So no value (a container's command, a path in
// an image, a user's name) can become code, whatever its quotes, spaces,
// `$(...)` or newlines.

/**
 * A piece of shell built by `sh` (or `script` from lines of it), every value
 * in it quoted. `code` is the one way in for text taken as code as it is:
 * fixed shell written in this program (a function definition, say), never a
 * value from outside.
 */
export class Script {
  /** Makes the type nominal: an object with a text field is not a Script. */
  declare private readonly built: true;
  private constructor(readonly text: string) {}

  static of(text: string): Script {
    return new Script(text);
  }

  toString(): string {
    return this.text;
  }
}

/** What a template may take: a word, a number, words, or shell already built. */
export type ShellValue = string | number | Script | readonly (string | number)[];

/** A string as one /bin/sh word, whatever it holds. */
function quoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function word(v: ShellValue): string {
  if (v instanceof Script) return v.text;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`a shell script was given the number ${v}`);
    return String(v);
  }
  if (typeof v === 'string') return quoted(v);
  return v.map((w) => word(w)).join(' ');
}

/** sh`cmd ${value}`: the literal text as code, each value quoted (see ShellValue). */
export function sh(code: TemplateStringsArray, ...values: ShellValue[]): Script {
  return Script.of(code.reduce((out, text, i) => out + text + (i < values.length ? word(values[i]!) : ''), ''));
}

/** Lines of shell as one script. */
export function script(...lines: (Script | readonly Script[])[]): Script {
  return Script.of(
    lines
      .flat()
      .map((l) => l.text)
      .join('\n'),
  );
}

/** Fixed shell text written in this program (no value in it), such as an awk program's body kept as a constant. */
export const code = (text: string): Script => Script.of(text);

/** A command line a user gave to run in the guest (`inspect --run`, the bench's workload): code by their intent, run as written. */
export const userCommand = (text: string): Script => Script.of(text);

/** What guest scripts print for the host to read, KEY=VALUE lines, as a record (the first '=' splits; a value may hold more). */
export function fields(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) r[line.slice(0, i)] = line.slice(i + 1);
  }
  return r;
}
