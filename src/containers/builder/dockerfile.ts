// Dockerfile parsing for the instructions glassbox builds: FROM (with AS for
// multi-stage builds), RUN, COPY (with --from), WORKDIR, USER, ENV,
// ENTRYPOINT, CMD. Lines continue with a trailing backslash; "#" starts a comment line.
// Anything else stops with its line number.

export class DockerfileError extends Error {
  override name = 'DockerfileError';
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`Dockerfile line ${line}: ${reason}`);
  }
}

export type Instruction =
  | { op: 'FROM'; line: number; text: string; image: string; stage?: string }
  | { op: 'RUN'; line: number; text: string; args: string[] }
  | { op: 'COPY'; line: number; text: string; sources: string[]; dest: string; from?: string }
  | { op: 'WORKDIR'; line: number; text: string; dir: string }
  | { op: 'USER'; line: number; text: string; user: string }
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

const STAGE_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/** Stage names are unique, and COPY --from names an earlier stage (by name or index) when it names a stage at all. */
function checkStages(steps: Instruction[]): void {
  const stages: string[] = [];
  for (const s of steps) {
    if (s.op === 'FROM') {
      if (s.stage && stages.includes(s.stage)) throw new DockerfileError(s.line, `stage name ${s.stage} is already used by an earlier FROM`);
      stages.push(s.stage ?? '');
    } else if (s.op === 'COPY' && s.from !== undefined) {
      const current = stages.length - 1;
      if (s.from === stages[current] || s.from === String(current)) throw new DockerfileError(s.line, `COPY --from=${s.from} names the stage it is in`);
      if (/^\d+$/.test(s.from) && Number(s.from) > current) throw new DockerfileError(s.line, `COPY --from=${s.from}: there is no earlier stage ${s.from}`);
      const later = steps.find((x) => x.op === 'FROM' && x.line > s.line && x.stage === s.from);
      if (later) throw new DockerfileError(s.line, `COPY --from=${s.from} names a stage defined later, at line ${later.line}`);
    }
  }
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
      case 'FROM': {
        const f = /^(\S+)(?:\s+[Aa][Ss]\s+(\S+))?$/.exec(arg);
        if (!f || f[1]!.startsWith('--')) throw new DockerfileError(line, 'FROM takes an image and optionally AS NAME (no --platform)');
        if (f[2] !== undefined && !STAGE_NAME.test(f[2]))
          throw new DockerfileError(line, `stage name "${f[2]}" must start with a letter and hold only letters, digits, "-", "_" and "."`);
        out.push({ op, ...base, image: f[1]!, stage: f[2]?.toLowerCase() });
        break;
      }
      case 'RUN':
      case 'ENTRYPOINT':
      case 'CMD':
        out.push({ op, ...base, args: execOrShell(arg, line) });
        break;
      case 'COPY': {
        const from = /^--from=(\S+)\s+/.exec(arg);
        const rest = from ? arg.slice(from[0].length) : arg;
        const parts = rest.startsWith('[') ? execOrShell(rest, line) : rest.split(/\s+/);
        if (parts.some((p) => p.startsWith('--'))) throw new DockerfileError(line, 'COPY options other than --from (--chown, ...) are not supported');
        if (parts.length < 2) throw new DockerfileError(line, 'COPY needs at least one source and a destination');
        out.push({ op, ...base, sources: parts.slice(0, -1), dest: parts[parts.length - 1]!, from: from ? from[1]!.toLowerCase() : undefined });
        break;
      }
      case 'WORKDIR':
        out.push({ op, ...base, dir: arg });
        break;
      case 'USER':
        if (!/^[^\s:]+(:[^\s:]+)?$/.test(arg)) throw new DockerfileError(line, 'USER takes one user[:group]');
        out.push({ op, ...base, user: arg });
        break;
      case 'ENV':
        out.push({ op, ...base, vars: envVars(arg, line) });
        break;
      default:
        throw new DockerfileError(line, `unsupported instruction ${op} (glassbox builds FROM, RUN, COPY, WORKDIR, USER, ENV, ENTRYPOINT, CMD)`);
    }
  }
  if (out.length === 0) throw new DockerfileError(1, 'the Dockerfile has no instructions');
  if (out[0]!.op !== 'FROM') throw new DockerfileError(out[0]!.line, 'the first instruction must be FROM');
  checkStages(out);
  return out;
}
