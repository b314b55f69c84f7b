// The error a share's host directory gets when it cannot be shared. In a
// file of its own: the library exports it, and host-tree.ts's declarations
// name Node's types, which a consumer without @types/node cannot read.

/** A bind source that cannot be shared, naming it. */
export class ShareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShareError';
  }
}
