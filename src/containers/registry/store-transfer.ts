// Pull into and push from the host store, and login: the registry client
// with this home's credentials, the system's CAs and Node's hashing. A pull
// holds its verified blobs until the whole image is there, then commits them
// through ImageStore.add (the store's one way in, under its lock), so a
// failed pull leaves the store as it was; the layers it finds in the store
// are held by a store lease meanwhile.

import { RegistryClient } from './client.ts';
import type { Credentials } from './auth.ts';
import { BlobSources } from './blob-sources.ts';
import { CredentialStore } from './credentials.ts';
import { nodeDiffId, nodeFetch, nodeHasher } from './node-transport.ts';
import { pullImage } from './pull.ts';
import { pushImage } from './push.ts';
import type { OnProgress } from './progress.ts';
import { isLoopback, parseReference, ImageReferenceError } from './reference.ts';
import { RegistryError } from './errors.ts';
import { ImageNotFoundError, type ImageStore } from '../store/image-store.ts';
import type { ImageManifest } from '../store/oci.ts';

export interface RegistryAccess {
  home: string;
  /** Registries (HOST[:PORT]) reached over plain HTTP besides loopback ones, as Docker's --insecure-registry. */
  insecure?: string[];
  progress?: OnProgress;
  /** Credentials to use instead of the stored ones (login checks them before storing). */
  credentials?: Credentials;
  env?: NodeJS.ProcessEnv;
}

/** A client of the registry a reference names. */
export function clientFor(domain: string, access: RegistryAccess): RegistryClient {
  return new RegistryClient(domain, {
    fetch: nodeFetch(access.env),
    hasher: nodeHasher,
    credentials: access.credentials ?? new CredentialStore(access.home).get(domain),
    plainHttp: isLoopback(domain) || (access.insecure ?? []).includes(domain),
  });
}

function reference(text: string) {
  try {
    return parseReference(text);
  } catch (e) {
    if (e instanceof ImageReferenceError) throw new RegistryError(e.message);
    throw e;
  }
}

export interface PullResult {
  name: string;
  /** The manifest pulled (the linux/386 one when the reference names an index). */
  digest: string;
  /** The index it was chosen from, when there was one. */
  index: string | undefined;
  /** False when the store had this image under this name already. */
  changed: boolean;
  warnings: string[];
}

export async function pullToStore(store: ImageStore, text: string, access: RegistryAccess): Promise<PullResult> {
  const ref = reference(text);
  const client = clientFor(ref.domain, access);
  // Layers the store has are held while the rest download, so a concurrent rmi cannot collect them first.
  const lease = store.lease();
  const held = (d: string) => {
    try {
      lease.hold([d]);
      return true;
    } catch (e) {
      if (e instanceof ImageNotFoundError) return false;
      throw e;
    }
  };
  let pulled: Awaited<ReturnType<typeof pullImage>>;
  let before: string | undefined;
  try {
    pulled = await pullImage(client, ref, { has: (d) => store.hasBlob(d) && held(d), hasher: nodeHasher, diffId: nodeDiffId, progress: access.progress });
    before = store.list().find((i) => i.name === pulled!.name)?.manifest.digest;
    store.add({ blobs: pulled.blobs, images: [{ name: pulled.name, manifest: pulled.manifest }] }, lease);
  } finally {
    lease.release();
  }
  const manifest = JSON.parse(Buffer.from(store.blob(pulled.manifest.digest)).toString('utf8')) as ImageManifest;
  new BlobSources(access.home).remember(ref.domain, ref.repository, [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
  return { name: pulled.name, digest: pulled.manifest.digest, index: pulled.index?.digest, changed: before !== pulled.manifest.digest, warnings: pulled.warnings };
}

/** Pushes the store's image of that name to the registry the name points at; returns the manifest's digest and size. */
export async function pushFromStore(store: ImageStore, text: string, access: RegistryAccess): Promise<{ digest: string; size: number }> {
  const ref = reference(text);
  const image = store.resolve(text);
  const manifest = store.manifestOf(image.manifest);
  const sources = new BlobSources(access.home);
  const digest = await pushImage(
    clientFor(ref.domain, access),
    ref,
    {
      manifest: { descriptor: image.manifest, bytes: store.blob(image.manifest.digest) as Uint8Array<ArrayBuffer> },
      config: manifest.config,
      layers: manifest.layers,
      blob: (d) => store.blob(d) as Uint8Array<ArrayBuffer>,
    },
    {
      progress: access.progress,
      mountFrom: (d) => sources.repositories(ref.domain, d),
    },
  );
  sources.remember(ref.domain, ref.repository, [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
  return { digest, size: image.manifest.size };
}

/** Checks credentials against a registry, then stores them (0600). */
export async function login(domain: string, credentials: Credentials, access: RegistryAccess): Promise<void> {
  await clientFor(domain, { ...access, credentials }).ping();
  new CredentialStore(access.home).set(domain, credentials);
}

export function logout(domain: string, home: string): boolean {
  return new CredentialStore(home).remove(domain);
}
