// The registry client as the browser (or any Web-API runtime) uses it:
// nothing here imports Node. Node's CLI adds the system's CAs, native
// hashing, zlib and the credential file (store-transfer.ts).

export { RegistryClient, NetworkError, type ClientOptions, type Manifest } from './client.ts';
export { RegistryError } from './errors.ts';
export { webHasher, type Hasher, type HasherFactory } from './hash.ts';
export { pullImage, webDiffId, type PullOptions, type PulledImage } from './pull.ts';
export { pushImage, type PushOptions, type PushSource } from './push.ts';
export { parseReference, familiarString, type Reference } from './reference.ts';
export type { Progress, OnProgress } from './progress.ts';
