// Kernel addresses to function names through a System.map (`c1000000 T
// _text` per line), for kernels built without KALLSYMS, whose oops shows bare
// addresses: glassbox's own guest kernel is one.

export class SystemMap {
  private readonly addresses: Uint32Array;
  private readonly names: string[];

  constructor(text: string) {
    const entries: [number, string][] = [];
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f]{8}) [TtWw] (\S+)$/.exec(line.trim());
      if (m) entries.push([parseInt(m[1], 16), m[2]]);
    }
    if (!entries.length) throw new Error('not a System.map: no text symbols in it');
    entries.sort((a, b) => a[0] - b[0]);
    this.addresses = Uint32Array.from(entries, (e) => e[0]);
    this.names = entries.map((e) => e[1]);
  }

  /** `name+0xoffset` for the function holding `address`, or undefined below the first symbol. */
  symbolize(address: number): string | undefined {
    let lo = 0;
    let hi = this.addresses.length - 1;
    if (address < this.addresses[0]) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.addresses[mid] <= address) lo = mid;
      else hi = mid - 1;
    }
    const offset = address - this.addresses[lo];
    return offset ? `${this.names[lo]}+0x${offset.toString(16)}` : this.names[lo];
  }
}
