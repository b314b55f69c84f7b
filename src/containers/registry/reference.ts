// Image references as Docker reads them (distribution's reference grammar):
// [DOMAIN/]PATH[:TAG][@DIGEST]. The first path component is a registry domain
// when it has a dot or a port, or is "localhost"; otherwise the registry is
// Docker Hub (docker.io) and a one-component name lives under "library/".
// No Node modules: the browser's registry client parses references too.

export class ImageReferenceError extends Error {
  override name = 'ImageReferenceError';
  constructor(
    readonly ref: string,
    readonly reason: string,
  ) {
    super(`"${ref}" is not a valid image reference: ${reason}`);
  }
}

export const DOCKER_HUB = 'docker.io';

export interface Reference {
  /** The registry as named: "docker.io", "127.0.0.1:5000", "ghcr.io". */
  domain: string;
  /** The repository inside it, e.g. "library/busybox". */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const NAME_MAX = 255;

/** Parses a reference; names what is wrong with one that is not valid. */
export function parseReference(ref: string): Reference {
  const bad = (why: string) => new ImageReferenceError(ref, why);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256: and 64 lower-case hex digits');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`invalid tag "${tag}"`);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const isDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  let domain = isDomain ? first : DOCKER_HUB;
  let repository = isDomain ? rest.slice(slash + 1) : rest;
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (isDomain && !DOMAIN.test(domain)) throw bad(`invalid registry "${domain}"`);
  if (domain === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository === '' || !repository.split('/').every((c) => PATH_COMPONENT.test(c))) {
    const lowered = repository.toLowerCase();
    const onlyCase = lowered !== repository && lowered.split('/').every((c) => PATH_COMPONENT.test(c));
    throw bad(onlyCase ? 'the repository name must be lower case' : 'the name must be lower-case components (a-z, 0-9, separated by ".", "_", "__" or "-") joined by "/"');
  }
  if (domain.length + 1 + repository.length > NAME_MAX) throw bad(`the name is longer than ${NAME_MAX} characters`);
  return { domain, repository, tag, digest };
}

/** DOMAIN/REPOSITORY as the user would write it: Docker Hub's "docker.io/" and "library/" left out. */
export function familiarName(r: Pick<Reference, 'domain' | 'repository'>): string {
  if (r.domain !== DOCKER_HUB) return `${r.domain}/${r.repository}`;
  return r.repository.startsWith('library/') && r.repository.split('/').length === 2 ? r.repository.slice('library/'.length) : r.repository;
}

/** The familiar name with its digest, or with its tag ("latest" when none is given). */
export function familiarString(r: Reference): string {
  return familiarName(r) + (r.digest ? `@${r.digest}` : `:${r.tag ?? 'latest'}`);
}

/** The host serving a registry's API: Docker Hub's is not docker.io itself. */
export function apiHost(domain: string): string {
  return domain === DOCKER_HUB ? 'registry-1.docker.io' : domain;
}

/** A registry Docker reaches over plain HTTP without being told: loopback addresses and localhost. */
export function isLoopback(domain: string): boolean {
  const host = domain.replace(/:[0-9]+$/, '');
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '[::1]';
}
