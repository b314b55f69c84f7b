// Host errors as Linux errno numbers, which is what Rlerror carries (the
// guest is Linux whatever the host is, so numbers come from Node's error
// codes, not from the host's os.constants).

const LINUX_ERRNO: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EPROTO: 71,
  EOVERFLOW: 75,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  ENOTSUP: 95,
  EDQUOT: 122,
};

/** Linux's number for an errno name ("ENOENT"); EIO for a name it does not know. */
export function errno(code: string): number {
  return LINUX_ERRNO[code] ?? LINUX_ERRNO.EIO!;
}

/** An error the server answers with: its Linux errno by name. */
export class NinePError extends Error {
  constructor(
    readonly code: string,
    why?: string,
  ) {
    super(why ?? code);
    this.name = 'NinePError';
  }
}

/** The errno a thrown value stands for: a host (Node) error's code, a NinePError's, else EIO. */
export function errnoOf(e: unknown): number {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? errno(code) : errno('EIO');
}
