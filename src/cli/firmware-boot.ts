// glassbox boot --bios FILE [--disk IMAGE] and glassbox boot --rom FILE: the
// PC from its reset vector (src/machine/firmware-machine.ts). COM1 is this
// terminal, as for a Linux boot; what the firmware does shows on stderr:
// its debug log (port 0x402) line by line as "bios: ...", and POST codes
// (port 0x80) as "post: 0xNN" (those on 0x190, test ROMs' other port, as
// "post (port 0x190): 0xNN"). With --bios, only POST codes written in real
// mode show: Linux writes port 0x80 as an I/O delay, thousands of times.
// A ROM runs until it halts with interrupts off (exit 0), the CPU resets
// (exit 1) or its instruction budget is spent (exit 3).

import { readFile } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { createCore } from '../core/load-node.ts';
import { firmwareMachine } from '../machine/firmware-machine.ts';
import type { PcMachine } from '../machine/machine.ts';
import { SerialLink } from '../machine/serial-link.ts';
import { FileDisk } from '../storage/file-disk.ts';
import { RomImageError } from '../boot/firmware-rom.ts';
import { sleep, yieldToEvents } from '../api/yield.ts';
import { WallClock } from '../machine/wall-clock.ts';
import type { ClockMode } from '../api/index.ts';

const SLICE = 1_000_000;
/** Instructions a test ROM may run before `glassbox boot --rom` gives up on it. */
const ROM_BUDGET = 10_000_000_000;
const CTRL_A = 0x01;

export interface FirmwareBootOptions {
  bios?: string;
  rom?: string;
  disk?: string;
  memory: number;
  clock: ClockMode;
}

async function readRom(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RomImageError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a ROM image' : (e as Error).message}`);
  }
}

/** Writes whole lines of a byte stream to a file descriptor, each with a prefix. */
function lineWriter(fd: number, prefix: string): { byte(b: number): void; flush(): void } {
  let line: number[] = [];
  const flush = () => {
    if (!line.length) return;
    try {
      writeSync(fd, `${prefix}${Buffer.from(line).toString('latin1').replace(/\r/g, '')}\n`);
    } catch {
      // the reader went away: keep running, stop writing
    }
    line = [];
  };
  return { byte: (b) => (b === 10 ? flush() : line.push(b)), flush };
}

export async function firmwareBoot(opts: FirmwareBootOptions): Promise<number> {
  const path = (opts.bios ?? opts.rom)!;
  if (opts.bios && opts.rom) throw new RomImageError('give --bios (a BIOS that boots a disk) or --rom (a test ROM), not both');
  if (opts.rom && opts.disk) throw new RomImageError('--disk needs --bios: a test ROM (--rom) boots no disk');
  const rom = await readRom(path);
  const disk = opts.disk === undefined ? undefined : new FileDisk(opts.disk);
  const log = lineWriter(2, 'bios: ');
  const realModeOnly = opts.bios !== undefined;
  const out: number[] = [];
  let link: SerialLink | undefined;
  const pc: PcMachine = firmwareMachine(createCore, {
    rom,
    romName: path,
    memoryMiB: opts.memory,
    disk,
    serial: (b) => out.push(b),
    biosLog: log.byte,
    postCode: (code, port) => {
      if (realModeOnly && pc.core.cr(0) & 1) return;
      log.flush();
      writeSync(2, `post${port === 0x80 ? '' : ` (port 0x${port.toString(16)})`}: 0x${code.toString(16).padStart(2, '0')}\n`);
    },
    diskError: (why) => writeSync(2, `glassbox: ${why}\n`),
    pumpInput: () => (link?.pump() ?? 0) > 0,
  });
  link = new SerialLink(pc.com[0]);
  const tty = process.stdin.isTTY === true;
  let quit = false;
  let escaping = false;
  const onInput = (chunk: Buffer) => {
    for (const b of chunk) {
      if (tty && escaping) {
        escaping = false;
        if (b === 0x78 || b === 0x58) quit = true;
        else if (b === CTRL_A) link!.send([CTRL_A]);
      } else if (tty && b === CTRL_A) escaping = true;
      else link!.send([b]);
    }
  };
  if (opts.bios) {
    process.stdin.on('data', onInput);
    if (tty) {
      process.stdin.setRawMode(true);
      writeSync(2, `glassbox: starting ${path} at the reset vector; press Ctrl-A X to quit\r\n`);
    }
  }
  const wall = new WallClock(pc);
  wall.start();
  try {
    for (let spent = 0; !quit; spent += SLICE) {
      if (opts.rom && spent >= ROM_BUDGET) {
        writeSync(2, `glassbox: ${path} still running after ${ROM_BUDGET} instructions; stopped\n`);
        return 3;
      }
      // Realtime: guest time may not pass the wall clock while the CPU idles.
      if (opts.clock === 'realtime') pc.idleSkipLimitNs = wall.wallNs();
      const resets = pc.resets;
      // Realtime: the guest time an instruction stands for follows the host's speed (src/machine/wall-clock.ts).
      const power = opts.clock === 'realtime' ? wall.run(() => pc.run(SLICE)) : pc.run(SLICE);
      if (out.length) process.stdout.write(Uint8Array.from(out.splice(0)));
      if (opts.rom && pc.resets > resets) {
        log.flush();
        writeSync(2, 'glassbox: the CPU reset (a triple fault or a reset request)\n');
        return 1;
      }
      if (power === 'off') return pc.exitStatus ?? 0;
      // Halted: under the realtime clock its next timer is ahead of the wall clock, so let wall time pass;
      // under the virtual clock nothing is armed, so it waits for input.
      if (power === 'halted') await sleep(opts.clock === 'realtime' ? 1 : 5);
      else await yieldToEvents();
    }
    return 0;
  } finally {
    log.flush();
    disk?.close();
    if (opts.bios) {
      process.stdin.off('data', onInput);
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
    }
  }
}
