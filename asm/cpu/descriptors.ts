// Segment-descriptor and selector fields the core tests by name (SDM vol. 3,
// 3.4.2 and 3.4.5, table 3-2 for the system types).

// System descriptor and gate types (bits 8-12 of the descriptor's high dword, S = 0).
export const TSS16_AVAILABLE: u32 = 0x01;
export const LDT_TYPE: u32 = 0x02;
export const CALL_GATE_16: u32 = 0x04;
export const TASK_GATE: u32 = 0x05;
export const INT_GATE_16: u32 = 0x06;
export const TRAP_GATE_16: u32 = 0x07;
export const TSS32_AVAILABLE: u32 = 0x09;
export const TSS32_BUSY: u32 = 0x0b;
export const CALL_GATE_32: u32 = 0x0c;
export const INT_GATE_32: u32 = 0x0e;
export const TRAP_GATE_32: u32 = 0x0f;
/** A TSS type with the busy bit (bit 1) cleared: both 32-bit TSS types compare equal to TSS32_AVAILABLE. */
export const TSS_BUSY_BIT: u32 = 0x02;

/** The present bit of a descriptor's high dword. */
export const DESC_P: u32 = 0x8000;

/** A selector's table indicator: the LDT rather than the GDT. */
export const SEL_TI: u32 = 4;
/**
 * A selector without its requested privilege level (index and TI): what an
 * error code carries for it, and 0 for a null selector whatever its RPL.
 */
export const SEL_NO_RPL: u32 = 0xfffc;
