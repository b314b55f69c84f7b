// glassbox images | load | save | rmi: the host image store. These work on
// the store directly; they need no running guest.

import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { ImageStore, ImageNotFoundError } from '../containers/store/image-store.ts';
import { ImageArchiveError } from '../containers/store/archive.ts';
import { digestHex } from '../containers/store/digest.ts';
import { ImageNameError, splitName } from '../containers/store/refs.ts';
import { RegistryError } from '../containers/registry/errors.ts';
import { formatSize, table } from './table.ts';

/** Bad input on the command line, reported as one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const KNOWN_ERRORS = [ImageArchiveError, ImageNotFoundError, ImageNameError, RegistryError, UsageError];

/** Runs a command, turning a store or registry error into one line on stderr and exit status 1. */
export async function reporting(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (e) {
    if (!(KNOWN_ERRORS.some((k) => e instanceof k) || (e as NodeJS.ErrnoException).code === 'ENOENT')) throw e;
    process.stderr.write(`glassbox: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

const shortId = (digest: string) => digestHex(digest).slice(0, 12);


export function registerImageCommands(program: Command): void {
  program
    .command('images')
    .description('list the images in the store ($GLASSBOX_HOME/images)')
    .option('--digests', 'show each image\'s manifest digest (what a registry names it by)')
    .action((o: { digests?: boolean }) => reporting(() => {
      const rows = ImageStore.open().list().map((i) => {
        const [repo, tag] = i.name ? splitName(i.name) : ['<none>', '<none>'];
        return [repo, tag, ...(o.digests ? [i.manifest.digest] : []), shortId(i.id), i.created ?? '', formatSize(i.size)];
      });
      process.stdout.write(table([['REPOSITORY', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'], ...rows]));
    }));

  program
    .command('load')
    .description('import images from an OCI layout tarball or a docker save tarball (gzip\'d or not)')
    .requiredOption('-i, --input <file>', 'the archive to read')
    .action((o: { input: string }) => reporting(async () => {
      for (const img of await ImageStore.open().load(readFileSync(o.input))) {
        process.stdout.write(img.name ? `Loaded image: ${img.name}\n` : `Loaded image ID: ${img.manifest.digest}\n`);
      }
    }));

  program
    .command('save')
    .description('write images to an OCI layout tarball (with a docker-style manifest.json)')
    .requiredOption('-o, --output <file>', 'the archive to write')
    .argument('<image...>', 'NAME[:TAG] or image ID')
    .action((images: string[], o: { output: string }) => reporting(async () => {
      writeFileSync(o.output, await ImageStore.open().save(images));
    }));

  program
    .command('rmi')
    .description('remove images from the store, and the blobs no other image uses')
    .argument('<image...>', 'NAME[:TAG] or image ID')
    .action((images: string[]) => reporting(() => {
      const store = ImageStore.open();
      for (const ref of images) {
        for (const img of store.rmi(ref)) process.stdout.write(`Untagged: ${img.name ?? '<none>'}\nDeleted: ${img.manifest.digest}\n`);
      }
    }));

  program
    .command('system')
    .description('the store as a whole')
    .command('prune')
    .description('remove unnamed images and every blob no image uses; prints the space reclaimed')
    .action(() => reporting(() => {
      const { removed, bytes } = ImageStore.open().prune();
      for (const img of removed) process.stdout.write(`Deleted: ${img.manifest.digest}\n`);
      process.stdout.write(`Total reclaimed space: ${formatSize(bytes)}\n`);
    }));
}
