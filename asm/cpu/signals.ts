// One flag the run loop tests per instruction: something other than the next
// instruction needs looking at (an interrupt request, HLT, single-step, a stop
// request from the host). Whoever causes such a thing raises it; the run
// loop's slow path works out what it was and clears it when nothing is left.

export let attention: bool = false;

@inline export function raiseAttention(): void {
  attention = true;
}

export function clearAttention(): void {
  attention = false;
}

// The host (or the FPU, for FERR#) asked run() to return at the next
// instruction boundary; the run loop's slow path answers and clears it.
export let stopRequested: bool = false;

/** Asks run() to return at the next instruction boundary (callable from a host import). */
export function requestStop(): void {
  stopRequested = true;
  raiseAttention();
}

export function clearStopRequest(): void {
  stopRequested = false;
}
