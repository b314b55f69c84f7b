// Who owns a share's files, as the guest sees them and as the host keeps
// them. The guest's root stands for one host user, the share's owner: the
// user the engine runs as (the one who invoked it). So what root in a
// container makes on a bind mount belongs on the host to that user, and root
// in the guest sees its own files as its own (uid 0), whichever host user
// that is, and can chown them to itself. The host's root, when the owner is
// someone else, is nobody (65534) in the guest, as with Linux's user
// namespaces; every other id is the same number on both sides. With the
// engine run by root, nothing is mapped: the guest's root is the host's.

/** A host user and its group. */
export interface HostUser {
  uid: number;
  gid: number;
}

/** The id the guest sees for what the host does not map: nobody / nogroup (Linux's overflowuid). */
export const NOBODY = 65534;

/** The user this process runs as. */
export function processUser(): HostUser {
  return { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
}

/** A host uid or gid as the guest sees it, for a share owned by host id `owner`. */
export function guestId(host: number, owner: number): number {
  if (host === owner) return 0;
  return host === 0 ? NOBODY : host;
}

/** A guest's uid or gid (a chown) as the host keeps it, for a share owned by host id `owner`. */
export function hostId(guest: number, owner: number): number {
  return guest === 0 ? owner : guest;
}
