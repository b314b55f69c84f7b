// Registry credentials under $GLASSBOX_HOME/auth.json (mode 0600, written by
// rename so it is never half-written), in Docker's config.json shape:
// {"auths": {"REGISTRY": {"auth": base64("user:password")}}}. Nothing here
// prints a password; callers name only the user.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Credentials } from './auth.ts';

interface AuthFile {
  auths: Record<string, { auth: string }>;
}

export class CredentialStore {
  readonly path: string;

  constructor(private readonly home: string) {
    this.path = join(home, 'auth.json');
  }

  private read(): AuthFile {
    if (!existsSync(this.path)) return { auths: {} };
    const file = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<AuthFile>;
    return { auths: file.auths ?? {} };
  }

  private write(file: AuthFile): void {
    mkdirSync(this.home, { recursive: true });
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600); // whatever the umask
    renameSync(tmp, this.path);
  }

  get(registry: string): Credentials | undefined {
    const entry = this.read().auths[registry];
    if (!entry) return undefined;
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
  }

  set(registry: string, c: Credentials): void {
    const file = this.read();
    file.auths[registry] = { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') };
    this.write(file);
  }

  /** Forgets a registry's credentials; false when there were none. */
  remove(registry: string): boolean {
    const file = this.read();
    if (!(registry in file.auths)) return false;
    delete file.auths[registry];
    this.write(file);
    return true;
  }
}
