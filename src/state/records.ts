// Machine state as plain records: the one interface snapshots, fork, replay
// and the inspector's diff are built on (src/devices/README.md, "Device
// state", says how a device joins).
//
// Every part of a machine that holds state (the core, each chip, the clock,
// the agent session) is a `Stateful`: it writes its whole state to a record
// of plain values and reads one back. The machine keeps its parts in a
// `StateRegistry` under stable names, and a snapshot is the registry's
// records plus RAM. A part's `stateVersion` changes whenever its record
// changes shape or meaning, so an old snapshot is refused by name instead of
// being misread.

/** What a state record may hold: plain data that JSON (with bytes) and structured clone both keep. */
export type StateValue = number | string | boolean | null | Uint8Array | StateValue[] | StateRecord;
export interface StateRecord {
  [field: string]: StateValue;
}

export interface Stateful {
  /** The record's version: bump it whenever saveState's record changes shape or meaning. */
  readonly stateVersion: number;
  /** The part's whole state, as a record that shares nothing with the live part. */
  saveState(): StateRecord;
  /**
   * Replaces the part's state with a record saveState wrote (checked with
   * `fields`; a malformed record throws a StateError naming the field).
   * Called on a freshly built machine, core first, so a part may re-drive
   * what it is wired to (an IRQ line, the A20 gate) from the loaded state.
   */
  loadState(record: StateRecord): void;
}

/** A record that cannot be loaded; the message names the part and the field. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

/** A part's record with its version, as a snapshot keeps it. */
export interface VersionedRecord {
  version: number;
  state: StateRecord;
}

/** The parts of one machine by name, in the order they are loaded. */
export class StateRegistry {
  private readonly parts = new Map<string, Stateful>();

  add(name: string, part: Stateful): void {
    if (this.parts.has(name)) throw new Error(`machine state: two parts are called "${name}"`);
    this.parts.set(name, part);
  }

  has(part: object): boolean {
    return [...this.parts.values()].includes(part as Stateful);
  }

  /** The part set: each part's name and record version (a snapshot header lists it). */
  get manifest(): { name: string; version: number }[] {
    return [...this.parts].map(([name, p]) => ({ name, version: p.stateVersion }));
  }

  save(): Record<string, VersionedRecord> {
    const out: Record<string, VersionedRecord> = {};
    for (const [name, p] of this.parts) out[name] = { version: p.stateVersion, state: p.saveState() };
    return out;
  }

  /** Loads every part; refuses a record set that is not exactly this machine's parts at their versions. */
  load(records: Record<string, VersionedRecord>): void {
    checkPartSet(
      this.manifest,
      Object.entries(records).map(([name, r]) => ({ name, version: r.version })),
    );
    for (const [name, p] of this.parts) {
      try {
        p.loadState(records[name]!.state);
      } catch (e) {
        if (e instanceof StateError) throw new StateError(`${name}: ${e.message}`);
        throw e;
      }
    }
  }
}

/** Refuses a saved part set that differs from this machine's: a part missing, extra or at another version. */
export function checkPartSet(mine: { name: string; version: number }[], saved: { name: string; version: number }[]): void {
  const theirs = new Map(saved.map((p) => [p.name, p.version]));
  for (const { name, version } of mine) {
    const v = theirs.get(name);
    if (v === undefined) throw new StateError(`the device set differs: this machine has ${name}, the saved state does not`);
    if (v !== version) throw new StateError(`${name}: saved at state version ${v}, this build reads version ${version}`);
    theirs.delete(name);
  }
  const extra = [...theirs.keys()];
  if (extra.length) throw new StateError(`the device set differs: the saved state has ${extra.join(', ')}, which this machine lacks`);
}

type Plain = number | boolean | undefined;

/**
 * Copies the named scalar fields of `from` into a record (undefined as null):
 * most chips' state is a handful of numbers and flags.
 */
export function saveFields<T extends object>(from: T, names: readonly (keyof T & string)[]): StateRecord {
  const out: StateRecord = {};
  for (const n of names) {
    const v = from[n] as Plain;
    out[n] = v === undefined ? null : v;
  }
  return out;
}

/**
 * Loads the named scalar fields into `into`, each checked against the type
 * the live field has (a number field may be null, meaning undefined, when it
 * can be undefined: pass those in `optional`).
 */
export function loadFields<T extends object>(into: T, record: StateRecord, names: readonly (keyof T & string)[], optional: readonly (keyof T & string)[] = []): void {
  for (const n of names) {
    const v = record[n];
    const want = optional.includes(n) ? 'number' : typeof into[n];
    if (v === null && optional.includes(n)) {
      (into as Record<string, Plain>)[n] = undefined;
      continue;
    }
    if (typeof v !== want || (want === 'number' && !Number.isFinite(v))) {
      throw new StateError(`field ${n} should be a ${want}, not ${v === undefined ? 'missing' : JSON.stringify(v)}`);
    }
    (into as Record<string, Plain>)[n] = v as Plain;
  }
}

/** A field that must be a byte array (of `length` bytes, if given). */
export function bytesField(record: StateRecord, name: string, length?: number): Uint8Array {
  const v = record[name];
  if (!(v instanceof Uint8Array)) throw new StateError(`field ${name} should be bytes`);
  if (length !== undefined && v.length !== length) throw new StateError(`field ${name} should be ${length} bytes, not ${v.length}`);
  return v;
}

/** A field that must be a list of whole numbers: `length` of them or at most `max`, each below `below`. */
export function numbersField(record: StateRecord, name: string, shape: { length?: number; max?: number; below?: number }): number[] {
  const v = record[name];
  const ok =
    Array.isArray(v) &&
    (shape.length === undefined || v.length === shape.length) &&
    v.length <= (shape.max ?? Infinity) &&
    v.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n < (shape.below ?? Infinity));
  if (!ok) {
    const size = shape.length !== undefined ? `${shape.length}` : `at most ${shape.max}`;
    throw new StateError(`field ${name} should be a list of ${size} whole numbers${shape.below ? ` below ${shape.below}` : ''}`);
  }
  return [...(v as number[])];
}

/** A field that must be a list of `length` records. */
export function recordsField(record: StateRecord, name: string, length: number): StateRecord[] {
  const v = record[name];
  if (!Array.isArray(v) || v.length !== length) throw new StateError(`field ${name} should be a list of ${length} records`);
  return v.map((r, i) => recordField({ [`${name}[${i}]`]: r }, `${name}[${i}]`));
}

/**
 * A part's private fields seen as a plain object, for saveFields and
 * loadFields: a chip keeps its registers private from the rest of the host,
 * not from its own state record. A misspelt name fails the round-trip test.
 */
export function ownFields(part: object): Record<string, Plain> {
  return part as Record<string, Plain>;
}

/** A field that must be a record. */
export function recordField(record: StateRecord, name: string): StateRecord {
  const v = record[name];
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw new StateError(`field ${name} should be a record`);
  return v;
}
