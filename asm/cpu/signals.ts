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
