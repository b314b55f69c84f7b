// glassbox pull | push | tag | login | logout: images to and from registries
// over the OCI distribution API (src/containers/registry), with the store
// under $GLASSBOX_HOME. No guest is needed.

import type { Command } from 'commander';
import { ImageNotFoundError, ImageStore } from '../containers/store/image-store.ts';
import { parseDockerfile } from '../containers/builder/dockerfile.ts';
import { RegistryError } from '../containers/registry/errors.ts';
import { glassboxHome } from '../home.ts';
import { login, logout, pullToStore, pushFromStore } from '../containers/registry/store-transfer.ts';
import { DOCKER_HUB, parseReference } from '../containers/registry/reference.ts';
import { ImageNameError, normalizeName } from '../containers/store/refs.ts';
import { progressPrinter } from './progress.ts';
import { reporting, UsageError } from './images.ts';

interface TransferOptions {
  quiet?: boolean;
  insecureRegistry: string[];
}

const collect = (v: string, all: string[]) => [...all, v];
const INSECURE_HELP = 'reach this registry (HOST[:PORT]) over plain HTTP, as loopback registries are (repeatable)';

/** The registry a login names (HOST[:PORT], a URL's host accepted as Docker does): Docker Hub when none is given. */
function registryName(server: string | undefined): string {
  const host = (server ?? DOCKER_HUB).replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return ['index.docker.io', 'registry-1.docker.io'].includes(host) ? DOCKER_HUB : host;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * Pulls the images a command needs that the store lacks, as `docker run` and
 * `docker build` do (progress on stderr, so a command's own output stays
 * clean). A failed pull ends the command with status 125, Docker's for an
 * error before the container ran; returns whether all are there.
 */
export async function pullMissing(refs: string[]): Promise<boolean> {
  const home = glassboxHome();
  const store = ImageStore.open(home);
  try {
    for (const ref of refs) {
      try {
        store.resolve(ref);
        continue;
      } catch (e) {
        if (!(e instanceof ImageNotFoundError)) throw e;
      }
      process.stderr.write(`Unable to find image '${normalizeName(ref)}' locally\n`);
      await pullToStore(store, ref, { home, progress: progressPrinter(process.stderr, false) });
    }
    return true;
  } catch (e) {
    if (!(e instanceof RegistryError || e instanceof ImageNameError)) throw e;
    process.stderr.write(`glassbox: ${e.message}\n`);
    process.exitCode = 125;
    return false;
  }
}

/** The images a Dockerfile builds on (FROM and COPY --from naming no stage); none when it does not parse (the build reports that). */
export function dockerfileImages(text: string): string[] {
  let steps: ReturnType<typeof parseDockerfile>;
  try {
    steps = parseDockerfile(text);
  } catch {
    return [];
  }
  const stages = new Set<string>();
  const images: string[] = [];
  for (const s of steps) {
    const ref = s.op === 'FROM' ? s.image : s.op === 'COPY' ? s.from : undefined;
    if (ref !== undefined && !stages.has(ref) && !/^\d+$/.test(ref)) images.push(ref);
    if (s.op === 'FROM' && s.stage) stages.add(s.stage);
  }
  return images;
}

/** pull, push and tag on `program`: at top level, and under `glassbox image` as Docker has them. */
function defineTransferCommands(program: Command): void {
  program
    .command('pull')
    .description('pull an image (the linux/386 one of a multi-platform image) from a registry into the store')
    .argument('<image>', 'NAME[:TAG|@DIGEST], e.g. busybox, 127.0.0.1:5000/app:1')
    .option('-q, --quiet', 'print only the image name')
    .option('--insecure-registry <host>', INSECURE_HELP, collect, [])
    .action((image: string, o: TransferOptions) =>
      reporting(async () => {
        const home = glassboxHome();
        if (!o.quiet) process.stdout.write(`Pulling from ${image}\n`);
        const r = await pullToStore(ImageStore.open(home), image, { home, insecure: o.insecureRegistry, progress: progressPrinter(process.stdout, o.quiet === true) });
        for (const w of r.warnings) process.stderr.write(`glassbox: warning: ${w}\n`);
        if (!o.quiet) {
          process.stdout.write(`Digest: ${r.index ?? r.digest}\n`);
          if (r.index) process.stdout.write(`Platform linux/386: ${r.digest}\n`);
          process.stdout.write(`Status: ${r.changed ? 'Downloaded newer image' : 'Image is up to date'} for ${image}\n`);
        }
        process.stdout.write(`${r.name}\n`);
      }),
    );

  program
    .command('push')
    .description('push an image from the store to the registry its name points at')
    .argument('<image>', 'NAME[:TAG] of an image in the store (tag it first: glassbox tag busybox 127.0.0.1:5000/busybox)')
    .option('-q, --quiet', 'print only the digest')
    .option('--insecure-registry <host>', INSECURE_HELP, collect, [])
    .action((image: string, o: TransferOptions) =>
      reporting(async () => {
        const home = glassboxHome();
        if (!o.quiet) process.stdout.write(`The push refers to repository [${normalizeName(image).replace(/[:@][^/]*$/, '')}]\n`);
        const r = await pushFromStore(ImageStore.open(home), image, { home, insecure: o.insecureRegistry, progress: progressPrinter(process.stdout, o.quiet === true) });
        process.stdout.write(o.quiet ? `${r.digest}\n` : `${parseReference(image).tag ?? 'latest'}: digest: ${r.digest} size: ${r.size}\n`);
      }),
    );

  program
    .command('tag')
    .description('give an image in the store another name')
    .argument('<source>', 'NAME[:TAG] or image ID')
    .argument('<target>', 'NAME[:TAG]')
    .action((source: string, target: string) =>
      reporting(() => {
        if (target.includes('@')) throw new UsageError(`cannot tag with a digest reference ("${target}"): a digest names content, not a name for it`);
        const store = ImageStore.open();
        store.add({ blobs: new Map(), images: [{ name: normalizeName(target), manifest: store.resolve(source).manifest }] });
      }),
    );
}

export function registerRegistryCommands(program: Command): void {
  defineTransferCommands(program);
  const image = program.commands.find((c) => c.name() === 'image');
  if (image) defineTransferCommands(image);
  program
    .command('login')
    .description(`check credentials against a registry and keep them in $GLASSBOX_HOME/auth.json (mode 0600); default ${DOCKER_HUB}`)
    .argument('[server]', 'the registry, HOST[:PORT]')
    .requiredOption('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password (visible to other users of this machine: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--insecure-registry <host>', INSECURE_HELP, collect, [])
    .action((server: string | undefined, o: { username: string; password?: string; passwordStdin?: boolean; insecureRegistry: string[] }) =>
      reporting(async () => {
        if (o.password !== undefined && o.passwordStdin) throw new UsageError('give --password or --password-stdin, not both');
        const password = o.passwordStdin ? await readStdin() : o.password;
        if (!password) throw new UsageError('no password: give --password-stdin (or --password)');
        const domain = registryName(server);
        await login(domain, { username: o.username, password }, { home: glassboxHome(), insecure: o.insecureRegistry });
        process.stdout.write(`Login Succeeded (${o.username} at ${domain})\n`);
      }),
    );

  program
    .command('logout')
    .description(`forget the credentials kept for a registry; default ${DOCKER_HUB}`)
    .argument('[server]', 'the registry, HOST[:PORT]')
    .action((server: string | undefined) =>
      reporting(() => {
        const domain = registryName(server);
        process.stdout.write(logout(domain, glassboxHome()) ? `Removing login credentials for ${domain}\n` : `Not logged in to ${domain}\n`);
      }),
    );
}
