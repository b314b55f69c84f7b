// What the engine refuses, as opposed to what went wrong around it: the
// daemon answers these with their message alone (a bad name, a port in use).

export class ContainerError extends Error {
  override name = 'ContainerError';
}
