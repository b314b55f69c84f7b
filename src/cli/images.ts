// glassbox images | load | save | rmi: the host image store. These work on
// the store directly; they need no running guest.

import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { ImageStore, ImageNotFoundError } from '../containers/store/image-store.ts';
import { ImageArchiveError } from '../containers/store/archive.ts';
import { digestHex } from '../containers/store/digest.ts';
import { table } from './table.ts';

/** Runs a command, turning a store error into one line on stderr and exit status 1. */
async function reporting(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (e) {
    if (!(e instanceof ImageArchiveError || e instanceof ImageNotFoundError || (e as NodeJS.ErrnoException).code === 'ENOENT')) throw e;
    process.stderr.write(`glassbox: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

const shortId = (digest: string) => digestHex(digest).slice(0, 12);

function formatSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)}MB` : `${(bytes / 1e3).toFixed(1)}kB`;
}


export function registerImageCommands(program: Command): void {
  program
    .command('images')
    .description('list the images in the store ($GLASSBOX_HOME/images)')
    .action(() => reporting(() => {
      const rows = ImageStore.open().list().map((i) => {
        const [repo, tag] = i.name ? [i.name.slice(0, i.name.lastIndexOf(':')), i.name.slice(i.name.lastIndexOf(':') + 1)] : ['<none>', '<none>'];
        return [repo, tag, shortId(i.id), i.created ?? '', formatSize(i.size)];
      });
      process.stdout.write(table([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], ...rows]));
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
}
