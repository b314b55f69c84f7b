// --format against the real thing: the Docker CLI renders its own templates
// (`docker version --format` runs client-side, before it finds no daemon),
// so each template is rendered by Docker and by glassbox over the same data
// (Docker's `{{json .}}` of it) and the outputs compared.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileFormat, formatRows, FormatError } from '../../src/cli/go-template.ts';

function docker(format: string): string | undefined {
  const r = spawnSync('docker', ['version', '--format', format], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  return r.error ? undefined : r.stdout;
}

const data = (() => {
  const out = docker('{{json .}}');
  return out ? (JSON.parse(out) as unknown) : undefined;
})();

describe('glassbox --format (a Go text/template subset)', () => {
  it.skipIf(data === undefined)('renders fields, json, upper, lower, join and pipes as the Docker CLI does (docker version --format, no daemon needed)', () => {
    const templates = [
      '{{.Client.Version}}',
      '{{.Client.Os}}/{{.Client.Arch}} built {{.Client.BuildTime}}',
      '{{upper .Client.Os}}',
      '{{lower .Client.BuildTime}}',
      '{{.Client.Os | upper}}',
      '{{json .Client.Version}}',
      '{{json .Client}}',
      '{{json .}}',
      '{{.Server}}',
      'plain text, no actions',
      '{{ .Client.GoVersion }} and {{json .Server}}',
    ];
    for (const t of templates) expect({ t, out: compileFormat(t, {}).render(data) + '\n' }).toEqual({ t, out: docker(t) });
  });

  it("joins a list and lines up a table with Docker's column titles", () => {
    expect(compileFormat('{{join .Args ", "}}', {}).render({ Args: ['-c', 'echo hi'] })).toBe('-c, echo hi');
    const rows = [
      { ID: 'abc', Names: 'web' },
      { ID: 'abcdef', Names: 'db' },
    ];
    expect(formatRows('table {{.ID}}\\t{{.Names}}', { '.ID': 'CONTAINER ID', '.Names': 'NAMES' }, rows)).toBe('CONTAINER ID   NAMES\nabc            web\nabcdef         db\n');
    expect(formatRows('{{.Names}}', {}, rows)).toBe('web\ndb\n');
  });

  it('refuses what it does not implement, naming it, instead of printing something else', () => {
    expect(() => compileFormat('{{range .Mounts}}{{.Source}}{{end}}', {}).render({ Mounts: [] })).toThrow(FormatError);
    expect(() => compileFormat('{{range .Mounts}}', {}).render({ Mounts: [] })).toThrow(/"range" is not a function glassbox supports/);
    expect(() => compileFormat('{{.State.Nosuch}}', {}).render({ State: { Status: 'running' } })).toThrow(/can't evaluate field Nosuch/);
    expect(() => compileFormat('{{.ID', {})).toThrow(/unclosed action/);
  });
});
