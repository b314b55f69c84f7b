// The OCI layout ImageSource the browser page uses, read here through the file
// system: it must resolve the base image exactly as the host store (which
// imports and verifies the same layout its own way) does, and refuse a
// corrupted blob.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BASE_IMAGE_DIR, ImageStore } from '../../../src/containers/store/image-store.ts';
import { LayoutSource, type ReadFile } from '../../../src/containers/store/layout-source.ts';
import { sha256 } from '../../../src/containers/store/sha256.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-layout-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const fromDisk: ReadFile = async (path) => new Uint8Array(readFileSync(join(BASE_IMAGE_DIR, path)));

test('resolves the base image by name and ID as the host store does, and reads its layer', async () => {
  const source = new LayoutSource(fromDisk, BASE_IMAGE_DIR);
  const store = ImageStore.open(home);
  const image = await source.image('busybox');
  expect(image).toEqual(store.image('busybox'));
  expect(await source.image(image.id.slice(7, 19))).toEqual(image);
  const layer = image.layers[0]!;
  const bytes = await source.blob(layer.digest);
  expect(sha256(bytes)).toBe(layer.digest);
  expect(bytes.length).toBe(layer.size);
});

test('refuses a corrupted manifest and names a missing image', async () => {
  const corrupt: ReadFile = async (path) => {
    const data = await fromDisk(path);
    if (path.startsWith('blobs/') && data.length < 1000) data[data.length - 2] ^= 1;
    return data;
  };
  await expect(new LayoutSource(corrupt, 'the page').image('busybox')).rejects.toThrow(/the page: blob sha256:[0-9a-f]{64} has content with digest .* \(corrupted\)/);
  await expect(new LayoutSource(fromDisk, 'the page').image('alpine:3')).rejects.toThrow('no image alpine:3 in the page');
  await expect(new LayoutSource(fromDisk, 'the page').image('Bad Name')).rejects.toThrow(/not a valid image name/);
});
