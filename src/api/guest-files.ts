// The kernel and initrd a machine boots from, and boots from again when the
// guest reboots. Read before the machine is made; or, where reading them is
// a download (the page) and the machine resumes from a snapshot, only when
// the guest first reboots: the snapshot's digests say which files they must
// be, and what arrives is checked against them then.

import type { SnapshotCodec } from '../snapshot/codec.ts';
import type { GuestFile } from '../snapshot/format.ts';

export interface BootFiles {
  kernel: Uint8Array;
  initrd?: Uint8Array;
}

/** What a snapshot says its machine was booted from. */
export interface RecordedFiles {
  kernel: GuestFile;
  initrd: GuestFile | null;
}

/** The files a resumed machine reads on its first reboot, and the snapshot's digests they must have. */
export interface DeferredFiles {
  read(): Promise<BootFiles>;
  recorded: RecordedFiles;
}

/** The SHA-256 of each file a machine has (undefined: no initrd). */
export interface FileDigests {
  kernel: string;
  initrd: string | undefined;
}

/** Why `files` are not the ones `recorded` names (undefined when they are); `names` name the files given, for the message. */
export async function otherFiles(files: BootFiles, recorded: RecordedFiles, names: { kernel: string; initrd: string }, codec: SnapshotCodec): Promise<string | undefined> {
  const digests = { kernel: await codec.sha256(files.kernel), initrd: files.initrd && (await codec.sha256(files.initrd)) };
  return otherDigests(digests, recorded, names);
}

/** The same, from the files' digests. */
export function otherDigests(digests: FileDigests, recorded: RecordedFiles, names: { kernel: string; initrd: string }): string | undefined {
  for (const [file, sha, what] of [
    [recorded.kernel, digests.kernel, names.kernel],
    [recorded.initrd, digests.initrd, names.initrd],
  ] as const) {
    if (file?.sha256 === sha) continue;
    const made = file ? `${file.name} (sha256 ${file.sha256.slice(0, 12)})` : 'no initrd';
    return `it was made with ${made}, and this machine has ${sha ? `${what} (sha256 ${sha.slice(0, 12)})` : 'none'}: give the ${what.split(' ')[0]} it was made with`;
  }
  return undefined;
}
