// Synchronous sha256 content addresses for the host store and the builder,
// which hash archives in loops where an await per blob would not pay.

import { createHash } from 'node:crypto';

export function sha256(data: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}
