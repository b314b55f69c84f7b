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
