// The decoder's cached code page, apart from the decoder so that what
// invalidates it (paging and TLB changes in memory.ts, CS loads in
// code-segment.ts, the run loop) need not import the decoder, which reads
// memory through them.
//
// Offsets [fetchLo, fetchLo + fetchSpan) of CS lie in one RAM page below the
// CS limit and can be read at host address fetchBias + ip (decode.ts fetch8).

export let fetchLo: u32 = 0;
export let fetchSpan: u32 = 0;
export let fetchBias: u32 = 0;

// Set when the next instruction cannot reuse the last one's decode defaults:
// it had prefixes, or CS (and with it the default sizes) changed.
export let decodeReset: bool = true;

@inline export function setFetchWindow(lo: u32, span: u32, bias: u32): void {
  fetchLo = lo;
  fetchSpan = span;
  fetchBias = bias;
}

/** The next fetch takes the checked path (MMIO code, the 15-byte limit). */
@inline export function closeFetchWindow(): void {
  fetchSpan = 0;
}

@inline export function setDecodeReset(v: bool): void {
  decodeReset = v;
}

/** CS, its mapping or the paging mode changed: drop the cached code page and re-derive the default sizes. */
export function invalidateFetch(): void {
  fetchSpan = 0;
  decodeReset = true;
}
