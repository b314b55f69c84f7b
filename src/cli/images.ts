// glassbox images | load | save | rmi: the host image store. These work on
// the store directly; they need no running guest.

import type { Command } from 'commander';
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { ImageStore, ImageNotFoundError } from '../containers/store/image-store.ts';
import { ImageArchiveError } from '../containers/store/archive.ts';
import { ImageNameError, splitName } from '../containers/store/refs.ts';
import { LockTimeoutError } from '../containers/pid-lock.ts';
import { digestHex } from '../containers/store/digest.ts';
import { RegistryError } from '../containers/registry/errors.ts';
import { printFormatted } from './go-template.ts';
import { formatSize } from './table.ts';
import { imageHistory } from '../containers/store/history.ts';
import { confirm } from './confirm.ts';
import { removeStoppedContainers } from './stopped-containers.ts';
import { callEngine, EngineError, engineRunning } from '../daemon/client.ts';
import { glassboxHome } from '../home.ts';

class ImageInUseError extends Error {
  override name = 'ImageInUseError';
}

/** The running engine's running containers (none when no engine runs: containers live only in one). */
async function runningContainers(): Promise<{ name: string; imageId: string }[]> {
  if (!(await engineRunning(glassboxHome()))) return [];
  return (await callEngine(glassboxHome(), { op: 'ps', all: false }, { start: false })) as { name: string; imageId: string }[];
}

/** The IDs of the images the running engine's containers use, running or stopped (they keep their image, as Docker's do). */
async function usedImages(): Promise<Set<string>> {
  if (!(await engineRunning(glassboxHome()))) return new Set();
  const all = (await callEngine(glassboxHome(), { op: 'ps', all: true }, { start: false })) as { imageId: string }[];
  return new Set(all.map((c) => c.imageId));
}

/** What a store command may meet that is the user's to fix: said in one line, not as a stack trace. */
const USER_ERRORS = ['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'ENOSPC', 'EROFS'];

/** Bad input on the command line, reported as one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const KNOWN_ERRORS = [ImageArchiveError, ImageNotFoundError, ImageInUseError, EngineError, ImageNameError, LockTimeoutError, RegistryError, UsageError];

/** Runs a command, turning a store or registry error into one line on stderr and exit status 1. */
export async function reporting(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (e) {
    const known = KNOWN_ERRORS.some((k) => e instanceof k);
    if (!known && !USER_ERRORS.includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    process.stderr.write(`glassbox: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** An archive to load: a regular file (not a directory, FIFO or device such as /dev/zero); it is streamed, whatever its size. */
function archivePath(path: string): string {
  if (!statSync(path).isFile()) throw new ImageArchiveError(`${path} is not a regular file (give an archive made by glassbox save or docker save)`);
  return path;
}

const IMAGE_HEADERS: Record<string, string> = { '.Repository': 'REPOSITORY', '.Tag': 'TAG', '.ID': 'IMAGE ID', '.CreatedAt': 'CREATED', '.Size': 'SIZE', '.Digest': 'DIGEST' };

const HISTORY_HEADERS: Record<string, string> = { '.ID': 'IMAGE', '.CreatedAt': 'CREATED', '.CreatedBy': 'CREATED BY', '.Size': 'SIZE', '.Comment': 'COMMENT' };

const shortId = (digest: string) => digestHex(digest).slice(0, 12);

/** The store commands on `program`: at top level as images, load, save, rmi; under `glassbox image` as ls, load, save, rm (Docker's names). */
function defineImageCommands(program: Command, topLevel: boolean): void {
  const images = program
    .command(topLevel ? 'images' : 'ls')
    .aliases(topLevel ? [] : ['list'])
    .description('list the images in the store ($GLASSBOX_HOME/images)')
    .option('-q, --quiet', 'only the image IDs (each once)')
    .option('--no-trunc', 'full image IDs')
    .option('--digests', "show each image's manifest digest (what a registry names it by)")
    .option('--format <template>', 'a Go template per image, e.g. {{.Repository}}:{{.Tag}} or {{json .}}');
  images.action((o: { quiet?: boolean; trunc: boolean; digests?: boolean; format?: string }) =>
    reporting(() => {
      const rows = ImageStore.open()
        .list()
        .map((i) => {
          const [repo, tag] = i.name ? splitName(i.name) : ['<none>', '<none>'];
          return { Repository: repo, Tag: tag, ID: o.trunc ? shortId(i.id) : i.id, CreatedAt: i.created ?? '', Size: formatSize(i.size), Digest: i.manifest.digest };
        });
      // -q lists an image with several names once, as Docker does.
      if (o.quiet) return void process.stdout.write([...new Set(rows.map((r) => r.ID))].map((id) => id + '\n').join(''));
      const digest = o.digests ? '\t{{.Digest}}' : '';
      printFormatted(o.format ?? `table {{.Repository}}\t{{.Tag}}${digest}\t{{.ID}}\t{{.CreatedAt}}\t{{.Size}}`, IMAGE_HEADERS, rows);
    }),
  );

  program
    .command('load')
    .description("import images from an OCI layout tarball or a docker save tarball (gzip'd or not)")
    .requiredOption('-i, --input <file>', 'the archive to read')
    .action((o: { input: string }) =>
      reporting(async () => {
        for (const img of await ImageStore.open().load(archivePath(o.input))) {
          process.stdout.write(img.name ? `Loaded image: ${img.name}\n` : `Loaded image ID: ${img.manifest.digest}\n`);
        }
      }),
    );

  program
    .command('save')
    .description('write images to an OCI layout tarball (with a docker-style manifest.json)')
    .requiredOption('-o, --output <file>', 'the archive to write')
    .argument('<image...>', 'NAME[:TAG] or image ID')
    .action((images: string[], o: { output: string }) =>
      reporting(async () => {
        const archive = await ImageStore.open().save(images);
        // Written beside the target and renamed, so a failed save leaves no half archive (and a directory is named as such).
        const st = existsSync(o.output) ? statSync(o.output) : undefined;
        if (st?.isDirectory()) throw new ImageArchiveError(`${o.output} is a directory; give the archive's file name`);
        // A device or pipe (/dev/stdout) is written as it is.
        if (st && !st.isFile()) return void writeFileSync(o.output, archive);
        const tmp = `${o.output}.${process.pid}.tmp`;
        writeFileSync(tmp, archive);
        renameSync(tmp, o.output);
      }),
    );

  if (!topLevel) {
    program
      .command('inspect')
      .description("images' configs (Entrypoint, Cmd, Env, layers' diff_ids...), as a JSON array")
      .option('-f, --format <template>', 'a Go template per image, e.g. {{.Id}} or {{json .Config.Cmd}}')
      .argument('<image...>', 'NAME[:TAG] or image ID')
      .action((refs: string[], o: { format?: string }) =>
        reporting(() => {
          const store = ImageStore.open();
          const views = refs.map((ref) => {
            const img = store.image(ref);
            return {
              Id: img.id,
              RepoTags: img.name === img.id ? [] : [img.name],
              Created: img.config.created,
              Architecture: img.config.architecture,
              Os: img.config.os,
              Config: img.config.config ?? {},
              RootFS: { Type: 'layers', Layers: img.diffIds },
            };
          });
          if (o.format) printFormatted(o.format, {}, views);
          else process.stdout.write(JSON.stringify(views, null, 4) + '\n');
        }),
      );
  }

  if (!topLevel) {
    program
      .command('history')
      .description('the steps that made an image, newest first, with the size each layer adds unpacked')
      .option('-q, --quiet', 'only the image IDs (<missing> for steps that have none)')
      .option('--no-trunc', 'full IDs and steps')
      .option('--format <template>', 'a Go template per step: .ID .CreatedAt .CreatedBy .Size .Comment')
      .argument('<image>', 'NAME[:TAG] or image ID')
      .action((ref: string, o: { quiet?: boolean; trunc: boolean; format?: string }) =>
        reporting(async () => {
          const rows = (await imageHistory(ImageStore.open(), ref)).map((h) => ({
            ID: h.id === undefined ? '<missing>' : o.trunc ? shortId(h.id) : h.id,
            CreatedAt: h.created ?? '',
            // Docker cuts a step to 45 characters, with an ellipsis.
            CreatedBy: o.trunc && h.createdBy.length > 45 ? `${h.createdBy.slice(0, 44)}…` : h.createdBy,
            Size: formatSize(h.size),
            Comment: h.comment,
          }));
          printFormatted(o.quiet ? '{{.ID}}' : (o.format ?? 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'), HISTORY_HEADERS, rows);
        }),
      );

    program
      .command('prune')
      .description('remove dangling images (no name, no container using them), or with -a every image no container uses; then the blobs no image uses')
      .option('-a, --all', 'every image no container uses, named or not')
      .option('-f, --force', 'do not ask for confirmation')
      .action((o: { all?: boolean; force?: boolean }) =>
        reporting(async () => {
          if (!o.force && !(await confirm(`WARNING! This will remove ${prunedImages(o.all)}.\nAre you sure you want to continue? [y/N] `))) return;
          await pruneImages(o.all);
        }),
      );
  }

  program
    .command(topLevel ? 'rmi' : 'rm')
    .aliases(topLevel ? [] : ['remove'])
    .description('remove images from the store, and the blobs no other image uses')
    .option('-f, --force', 'remove an image even if a running container uses it')
    .argument('<image...>', 'NAME[:TAG] or image ID')
    .action((images: string[], o: { force?: boolean }) =>
      reporting(async () => {
        const store = ImageStore.open();
        const running = o.force ? [] : await runningContainers();
        for (const ref of images) {
          const gone = store.wouldRemove(ref);
          const user = gone && running.find((c) => c.imageId === gone.id);
          if (user) throw new ImageInUseError(`image ${ref} is used by running container ${user.name}: stop it first, or use rmi -f`);
          for (const img of store.rmi(ref)) process.stdout.write(`Untagged: ${img.name ?? '<none>'}\nDeleted: ${img.manifest.digest}\n`);
        }
      }),
    );
}

/** `glassbox system prune`: stopped containers, then unnamed images (with -a every image) no container uses, and the blobs no image uses. */
export function registerPruneCommand(system: Command): void {
  system
    .command('prune')
    .description('remove stopped containers, unnamed images (with -a every image no container uses) and every blob no image uses; prints the space reclaimed')
    .option('-a, --all', 'every image no container uses, named or not')
    .option('-f, --force', 'do not ask for confirmation')
    .action((o: { all?: boolean; force?: boolean }) =>
      reporting(async () => {
        if (!o.force && !(await confirm(`WARNING! This will remove:\n  - all stopped containers\n  - ${prunedImages(o.all)}\nAre you sure you want to continue? [y/N] `))) return;
        const stopped = await removeStoppedContainers(false);
        if (stopped.length) process.stdout.write(`Deleted Containers:\n${stopped.map((id) => `${id}\n`).join('')}\n`);
        await pruneImages(o.all);
      }),
    );
}

/** What an image prune removes, in Docker's words for its warning. */
const prunedImages = (all?: boolean) => (all ? 'all images without at least one container associated to them' : 'all dangling images');

/** image prune's and system prune's image half: the store's prune, keeping what containers use, printed as Docker prints it. */
async function pruneImages(all?: boolean): Promise<void> {
  const { removed, bytes } = ImageStore.open().prune(await usedImages(), all === true);
  if (removed.length) process.stdout.write(`Deleted Images:\n${removed.map((i) => `deleted: ${i.manifest.digest}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${formatSize(bytes)}\n`);
}

export function registerImageCommands(program: Command): void {
  defineImageCommands(program, true);
  defineImageCommands(
    program.command('image').description("the image commands under Docker's management names: ls, rm, inspect, history, prune, load, save, build, pull, push, tag"),
    false,
  );
}
