// Dockerfile parsing for the instructions glassbox builds: FROM, RUN, COPY,
// WORKDIR, ENV, ENTRYPOINT, CMD. Lines continue with a trailing backslash;
// "#" starts a comment line. Anything else stops with its line number.

export class DockerfileError extends Error {
  override name = 'DockerfileError';
  constructor(readonly line: number, reason: string) {
    super(`Dockerfile line ${line}: ${reason}`);
  }
}

export type Instruction =
  | { op: 'FROM'; line: number; text: string; image: string }
  | { op: 'RUN'; line: number; text: string; args: string[] }
  | { op: 'COPY'; line: number; text: string; sources: string[]; dest: string }
  | { op: 'WORKDIR'; line: number; text: string; dir: string }
  | { op: 'ENV'; line: number; text: string; vars: [string, string][] }
  | { op: 'ENTRYPOINT' | 'CMD'; line: number; text: string; args: string[] };

/** The exec form ["a", "b"] when the argument is a JSON array of strings, else the shell form. */
function execOrShell(arg: string, line: number): string[] {
  if (arg.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(arg);
    } catch {
      throw new DockerfileError(line, `malformed JSON array: ${arg}`);
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new DockerfileError(line, 'the JSON form must be an array of strings');
    return v;
  }
  return ['/bin/sh', '-c', arg];
}

/** ENV KEY=VALUE ... (values may be double-quoted) or the old ENV KEY VALUE form. */
function envVars(arg: string, line: number): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.+)$/.exec(arg);
    if (!m) throw new DockerfileError(line, 'ENV needs KEY=VALUE or KEY VALUE');
    return [[m[1]!, m[2]!]];
  }
  const vars: [string, string][] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))(?:\s+|$)/y;
  while (re.lastIndex < arg.length) {
    const m = re.exec(arg);
    if (!m) throw new DockerfileError(line, `ENV: cannot read "${arg.slice(re.lastIndex)}" as KEY=VALUE`);
    vars.push([m[1]!, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!]);
  }
  return vars;
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let s = lines[i]!.trim();
    if (s === '' || s.startsWith('#')) continue;
    while (s.endsWith('\\') && i + 1 < lines.length) s = s.slice(0, -1) + ' ' + lines[++i]!.trim();
    const m = /^(\S+)\s*(.*)$/.exec(s)!;
    const op = m[1]!.toUpperCase();
    const arg = m[2]!.trim();
    if (arg === '') throw new DockerfileError(line, `${op} needs an argument`);
    const base = { line, text: s };
    switch (op) {
      case 'FROM':
        if (/\s/.test(arg)) throw new DockerfileError(line, 'FROM takes one image (no AS or --platform)');
        out.push({ op, ...base, image: arg });
        break;
      case 'RUN':
      case 'ENTRYPOINT':
      case 'CMD':
        out.push({ op, ...base, args: execOrShell(arg, line) });
        break;
      case 'COPY': {
        const parts = arg.startsWith('[') ? execOrShell(arg, line) : arg.split(/\s+/);
        if (parts.some((p) => p.startsWith('--'))) throw new DockerfileError(line, 'COPY options (--from, --chown, ...) are not supported');
        if (parts.length < 2) throw new DockerfileError(line, 'COPY needs at least one source and a destination');
        out.push({ op, ...base, sources: parts.slice(0, -1), dest: parts[parts.length - 1]! });
        break;
      }
      case 'WORKDIR':
        out.push({ op, ...base, dir: arg });
        break;
      case 'ENV':
        out.push({ op, ...base, vars: envVars(arg, line) });
        break;
      default:
        throw new DockerfileError(line, `unsupported instruction ${op} (glassbox builds FROM, RUN, COPY, WORKDIR, ENV, ENTRYPOINT, CMD)`);
    }
  }
  if (out.length === 0) throw new DockerfileError(1, 'the Dockerfile has no instructions');
  if (out[0]!.op !== 'FROM') throw new DockerfileError(out[0]!.line, 'the first instruction must be FROM');
  if (out.some((x, i) => i > 0 && x.op === 'FROM')) throw new DockerfileError(out.find((x, i) => i > 0 && x.op === 'FROM')!.line, 'multi-stage builds (a second FROM) are not supported');
  return out;
}
