// A typed event emitter with Node's on/off/once shape. Node's own `events`
// module does not exist in a browser worker, and the Machine runs in both.

type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly listeners: { [E in keyof Events]?: Listener<Events[E]>[] } = {};

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    (this.listeners[event] ??= []).push(listener);
    return this;
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const list = this.listeners[event];
    const at = list?.indexOf(listener) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const wrapped: Listener<Events[E]> = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    for (const l of [...(this.listeners[event] ?? [])]) l(...args);
  }
}
