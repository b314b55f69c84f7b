// A real distribution's userland for the container tests: an i386 Debian
// image made from Debian's own packages, by Debian's tools.
//
// This host may not execute 32-bit x86 programs, so debootstrap's second
// stage (running the packages' maintainer scripts) cannot run here.
// mmdebstrap's `extract` variant downloads the packages with their
// dependencies (apt resolves them for i386) and unpacks them without running
// anything; the customize hooks below do the little the maintainer scripts of
// these packages would have done that the programs need (base-passwd's
// postinst writes /etc/passwd and /etc/group from its master files). umoci, a
// maintained OCI tool, makes the image layout from the tarball.
//
// Built once per recipe: the result is kept under a path named by the sha256
// of the recipe (suite, packages, hooks, image config), so every test file and
// benchmark of a run shares one build. Made in a temporary directory and
// renamed into place, so a build that fails or is killed leaves nothing a
// later run would take for an image.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../../src/paths.ts';

/** The host's Debian release, whose archive the image comes from. */
function hostSuite(): string {
  const m = /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync('/etc/os-release', 'utf8'));
  if (!m) throw new Error('/etc/os-release names no VERSION_CODENAME: cannot tell which Debian suite to build the image from');
  return m[1]!;
}

/** The programs the tests run (python3, sqlite3, the MariaDB server and client), a shell and what mariadb-install-db calls (sed, awk); apt adds their dependencies. */
const PACKAGES = ['base-files', 'base-passwd', 'dash', 'coreutils', 'sed', 'mawk', 'python3-minimal', 'sqlite3', 'mariadb-server-core', 'mariadb-client-core'];

// Run as extract hooks, after the packages are unpacked: the extract variant runs no customize hooks.
const HOOKS = [
  // What base-passwd's postinst would do: the system users and groups.
  'cp "$1/usr/share/base-passwd/passwd.master" "$1/etc/passwd"',
  'cp "$1/usr/share/base-passwd/group.master" "$1/etc/group"',
  // What mawk's postinst would do (through update-alternatives): awk is mawk.
  'ln -s mawk "$1/usr/bin/awk"',
  // What Debian's slim container images leave out (dpkg path-exclude): manuals, translations, documentation but its copyright files.
  'rm -rf "$1/usr/share/man" "$1/usr/share/info" "$1/usr/share/locale"',
  'find "$1/usr/share/doc" -type f ! -name copyright -delete',
];

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEBIAN_TAG = 'debian-i386';

export interface DebianImage {
  /** An OCI image layout directory (for skopeo's `oci:DIR:TAG`). */
  layout: string;
  /** The same layout as a tarball (for `glassbox load -i`). */
  archive: string;
  /** The tag the layout's image has. */
  tag: string;
}

const TOOLS = ['mmdebstrap', 'umoci'];

/** Why the image cannot be built here, or undefined when it can. */
export function debianImageMissing(): string | undefined {
  const absent = TOOLS.filter((t) => !existsSync(`/usr/bin/${t}`));
  return absent.length ? `${absent.join(' and ')} not installed (scripts/setup.sh installs them)` : undefined;
}

const run = (cmd: string, args: string[], timeout: number) => {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout, maxBuffer: 1 << 26 });
  } catch (e) {
    const err = e as { stderr?: Buffer; code?: string; message: string };
    const why = err.code === 'ETIMEDOUT' ? `did not finish within ${timeout / 1000} s` : 'failed';
    throw new Error(`${cmd} ${args.join(' ')} ${why}: ${(err.stderr?.toString() ?? err.message).slice(-2000)}`);
  }
};

/** The i386 Debian image, built now unless this recipe's build is cached. Takes about 30 s to build with a near Debian mirror. */
export function debianImage(timeoutMs = 600_000): DebianImage {
  // --mode=auto: root when root, else a user namespace; the extract variant runs nothing of the target's.
  const debootstrap = ['--variant=extract', '--architectures=i386', '--mode=auto', `--include=${PACKAGES.join(',')}`, ...HOOKS.map((h) => `--extract-hook=${h}`), hostSuite()];
  const config = ['--os=linux', '--architecture=386', `--config.env=${PATH}`, '--config.cmd=/bin/sh'];
  // Every argument that shapes the image is in the key, so a changed recipe is built anew.
  const recipe = JSON.stringify({ debootstrap, config });
  const key = createHash('sha256').update(recipe).digest('hex').slice(0, 24);
  // A cache for later runs too, so in build/ (each run's temporary directory goes at its end).
  const root = projectPath('build', 'debian-image');
  const dir = join(root, key);
  const image = { layout: join(dir, 'layout'), archive: join(dir, 'layout.tar'), tag: DEBIAN_TAG };
  if (existsSync(dir)) return image;

  const work = join(root, `${key}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const rootfs = join(work, 'rootfs.tar');
    run('mmdebstrap', [...debootstrap, rootfs], timeoutMs);
    const layout = join(work, 'layout');
    const ref = `${layout}:${DEBIAN_TAG}`;
    run('umoci', ['init', '--layout', layout], 60_000);
    run('umoci', ['new', '--image', ref], 60_000);
    run('umoci', ['raw', 'add-layer', '--image', ref, rootfs], timeoutMs);
    run('umoci', ['config', '--image', ref, ...config], 60_000);
    run('umoci', ['gc', '--layout', layout], 60_000);
    rmSync(rootfs);
    run('tar', ['-C', layout, '-cf', join(work, 'layout.tar'), '.'], 120_000);
    try {
      renameSync(work, dir);
    } catch (e) {
      // Another process of this run built the same recipe first: use its image.
      if (!existsSync(dir)) throw e;
      rmSync(work, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return image;
}
