/** A snapshot that cannot be read or does not fit this machine; the message names the part and why. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}
