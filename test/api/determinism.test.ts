// Two boots of the same guest under the virtual clock are the same boot:
// identical console output, and the prompt appears at the same instruction.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { within } from '../support/deadline.ts';

/** Boots to the shell prompt; what the console printed and the instruction count at the end of that slice. */
async function bootToPrompt(): Promise<{ output: string; instructions: bigint }> {
  const m = await Machine.create();
  let output = '';
  const atPrompt = new Promise<{ output: string; instructions: bigint }>((resolve) => {
    m.serial.on('data', (bytes) => {
      output += Buffer.from(bytes).toString('latin1');
      // Recorded and paused inside the slice's event, so nothing runs on afterwards.
      if (output.includes('/ # ')) {
        m.pause();
        resolve({ output, instructions: m.instructions });
      }
    });
  });
  m.start();
  const r = await within(atPrompt, 240_000, 'the shell prompt "/ # " on the console of a booting guest');
  m.stop();
  return r;
}

describe('virtual clock', () => {
  it('boots twice to identical console output at identical instruction counts', async () => {
    const [a, b] = await Promise.all([bootToPrompt(), bootToPrompt()]);
    expect(a.output).toContain('glassbox: init done');
    expect(b.instructions).toBe(a.instructions);
    expect(b.output).toBe(a.output);
  }, 300_000);
});
