// The process user of a container from an image's User or the --user option:
// "name", "name:group", "uid", "uid:gid" (or mixed), with names looked up in
// the container's own /etc/passwd and /etc/group, as Docker does. A user
// found in passwd also gets the supplementary groups that list it.

export class UserError extends Error {
  override name = 'UserError';
}

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

/** The fields of a passwd or group file, one array per entry (comments and blank lines dropped). */
function entries(file: string): string[][] {
  return file
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

const NUMERIC = /^\d+$/;

/** Whether a spec needs the container's passwd and group files (any name, or a uid whose primary group passwd gives). */
export function needsAccountFiles(spec: string | undefined): boolean {
  return !!spec && !/^\d+:\d+$/.test(spec);
}

export function resolveUser(spec: string | undefined, passwd: string, group: string): ProcessUser {
  if (!spec) return { uid: 0, gid: 0 };
  const [who, grp, ...extra] = spec.split(':');
  if (!who || extra.length || grp === '') throw new UserError(`user "${spec}": give name, name:group, uid or uid:gid`);
  const users = entries(passwd);
  const entry = users.find((u) => (NUMERIC.test(who) ? u[2] === who : u[0] === who));
  if (!entry && !NUMERIC.test(who)) throw new UserError(`unable to find user ${who}: no matching entries in the container's /etc/passwd`);
  const uid = Number(NUMERIC.test(who) ? who : entry![2]);
  if (grp !== undefined) {
    if (NUMERIC.test(grp)) return { uid, gid: Number(grp) };
    const g = entries(group).find((x) => x[0] === grp);
    if (!g) throw new UserError(`unable to find group ${grp}: no matching entries in the container's /etc/group`);
    return { uid, gid: Number(g[2]) };
  }
  // A uid with no passwd entry runs with group 0, as in Docker.
  if (!entry) return { uid, gid: 0 };
  const gid = Number(entry[3]);
  const additionalGids = entries(group)
    .filter((g) => (g[3] ?? '').split(',').includes(entry[0]!) && Number(g[2]) !== gid)
    .map((g) => Number(g[2]));
  return additionalGids.length ? { uid, gid, additionalGids } : { uid, gid };
}
