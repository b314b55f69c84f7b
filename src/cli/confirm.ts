// The question Docker's prune commands ask before they remove anything.

import { createInterface } from 'node:readline';

/** Asks on stderr and reads one line of stdin: only y or yes goes on (end of input is no). */
export async function confirm(question: string): Promise<boolean> {
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin });
  const line = await new Promise<string>((res) => {
    rl.once('line', res);
    rl.once('close', () => res(''));
  });
  rl.close();
  return /^y(es)?$/i.test(line.trim());
}
