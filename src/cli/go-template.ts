// --format as Docker takes it: the subset of Go's text/template that Docker
// users write (no maintained Go-template library exists on npm), with a
// clear error for anything beyond it. Supported: field paths ({{.A.B}}, {{.}}),
// the functions json, upper, lower, join (with a pipe too: {{.A | json}}),
// and Docker's `table` prefix with its \t and \n escapes. An object prints as Go
// prints a map (map[k:v]); Docker's structs print as {v1 v2}: {{json X}} is the
// form that reads the same in both.

import { table } from './table.ts';

export class FormatError extends Error {
  override name = 'FormatError';
}

const SUPPORTED = 'glassbox --format takes {{.Field}}, {{.Field.Sub}}, {{.}}, {{json X}}, {{upper X}}, {{lower X}}, {{join X "SEP"}}, {{X | FUNC}} and a leading "table"';

type Part = { text: string } | { action: string; at: number };

function parse(format: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < format.length) {
    const open = format.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: format.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: format.slice(i, open) });
    const close = format.indexOf('}}', open + 2);
    if (close < 0) throw new FormatError(`template: unclosed action at character ${open + 1}: ${format.slice(open)}`);
    parts.push({ action: format.slice(open + 2, close).trim(), at: open + 1 });
    i = close + 2;
  }
  return parts;
}

/** A value as Go's fmt prints it with %v: maps as map[k:v], slices as [a b], a nil pointer as <nil>, a missing map key as <no value>. */
function goText(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goText).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goText((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

function field(data: unknown, path: string, at: number): unknown {
  if (path === '.') return data;
  let v = data;
  for (const name of path.slice(1).split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FormatError(`template: character ${at}: can't evaluate field ${name} in ${path}`);
    const obj = v as Record<string, unknown>;
    if (!(name in obj)) throw new FormatError(`template: character ${at}: can't evaluate field ${name}: there is no ${path} (fields here: ${Object.keys(obj).join(', ')})`);
    v = obj[name];
  }
  return v;
}

/** One word of an action: a field path or a quoted string. */
function operand(word: string, data: unknown, at: number): unknown {
  if (/^\.([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/.test(word)) return field(data, word, at);
  if (/^"([^"\\]|\\.)*"$/.test(word)) return JSON.parse(word) as string;
  throw new FormatError(`template: character ${at}: "${word}" is not supported; ${SUPPORTED}`);
}

const FUNCS: Record<string, (args: unknown[], at: number) => unknown> = {
  json: ([v]) => JSON.stringify(v ?? null),
  upper: ([v]) => goText(v).toUpperCase(),
  lower: ([v]) => goText(v).toLowerCase(),
  join: ([v, sep], at) => {
    if (!Array.isArray(v) || typeof sep !== 'string') throw new FormatError(`template: character ${at}: join takes a list and a quoted separator`);
    return v.map(goText).join(sep);
  },
};

function evaluate(action: string, data: unknown, at: number): unknown {
  let value: unknown;
  let first = true;
  for (const stage of action.split('|').map((s) => s.trim())) {
    const words = stage.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    if (words.length === 0) throw new FormatError(`template: character ${at}: empty action; ${SUPPORTED}`);
    const [head, ...rest] = words as [string, ...string[]];
    const fn = FUNCS[head];
    if (!fn) {
      if (!first || rest.length) throw new FormatError(`template: character ${at}: "${head}" is not a function glassbox supports; ${SUPPORTED}`);
      value = operand(head, data, at);
    } else {
      const args = rest.map((w) => operand(w, data, at));
      value = fn(first ? args : [value, ...args], at);
    }
    first = false;
  }
  return value;
}

export interface Formatter {
  /** The header line for a `table` format, else undefined. */
  header: string | undefined;
  render(data: unknown): string;
}

/**
 * Compiles `format`. With `table`, cells are separated by \t and lined up as
 * Docker's tabwriter does; the header names each field by `headers` (Docker's
 * column titles), or upper-cased.
 */
export function compileFormat(format: string, headers: Record<string, string>): Formatter & { table: boolean } {
  const isTable = /^table(\s|$)/.test(format);
  const body = (isTable ? format.replace(/^table\s*/, '') : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const parts = parse(body);
  const header = isTable
    ? parts
        .map((p) =>
          'text' in p
            ? p.text
            : (headers[p.action] ??
              p.action
                .replace(/^\./, '')
                .replace(/^json\s+\./, '')
                .toUpperCase()),
        )
        .join('')
    : undefined;
  return {
    table: isTable,
    header,
    render: (data) => parts.map((p) => ('text' in p ? p.text : goText(evaluate(p.action, data, p.at)))).join(''),
  };
}

/** Every row rendered through `format`, one per line; a table's columns lined up three spaces apart. */
export function formatRows(format: string, headers: Record<string, string>, rows: unknown[]): string {
  const f = compileFormat(format, headers);
  const lines = rows.map((r) => f.render(r));
  if (!f.table) return lines.map((l) => l + '\n').join('');
  const cells = [f.header!, ...lines].map((l) => l.split('\t'));
  const cols = Math.max(...cells.map((r) => r.length));
  return table(cells.map((r) => [...r, ...Array<string>(cols - r.length).fill('')]));
}

/** Prints rows through a --format template; a template it cannot take is said on stderr with status 125 (Docker's for a CLI error), nothing printed. */
export function printFormatted(format: string, headers: Record<string, string>, rows: unknown[]): void {
  try {
    process.stdout.write(formatRows(format, headers, rows));
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    process.stderr.write(`glassbox: ${e.message}\n`);
    process.exitCode = 125;
  }
}
