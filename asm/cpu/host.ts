// What the core imports from the host: port I/O, memory that is not RAM, and
// a way for the host to ask run() to return early (set from inside an import).

@external("env", "portIn")
export declare function portIn(port: u32, size: u32): u32;

@external("env", "portOut")
export declare function portOut(port: u32, size: u32, value: u32): void;

@external("env", "mmioRead")
export declare function mmioRead(addr: u32, size: u32): u32;

@external("env", "mmioWrite")
export declare function mmioWrite(addr: u32, size: u32, value: u32): void;

/** Called when the core accepts an external interrupt: the vector, or -1 if none is pending any more. */
@external("env", "acknowledgeInterrupt")
export declare function acknowledgeInterrupt(): i32;

/**
 * Asks the host to translate the code at host address `host` (RAM_BASE +
 * physical) under mode key `mode` (compiled code does not depend on the
 * linear address: it gets the page's at entry). Returns
 * the function-table slot of the compiled region, or 0 when nothing there can
 * be translated.
 */
@external("env", "jitCompile")
export declare function jitCompile(host: u32, mode: u32): u32;

/** Physical page `page` was written: the host drops every region compiled from it. */
@external("env", "jitInvalidate")
export declare function jitInvalidate(page: u32): void;

/** Guest RAM page `page` is not filled yet (WATCH_ABSENT): the host fills it and clears the bit. */
@external("env", "pageIn")
export declare function pageIn(page: u32): void;

/** Guest RAM page `page` is about to be written (WATCH_WRITE): the host keeps what it holds now and clears the bit. */
@external("env", "pageWrite")
export declare function pageWrite(page: u32): void;
