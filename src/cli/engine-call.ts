// One engine request from a container command, its failure said as Docker's
// CLI says it (status 125, `Error: No such container: NAME` for a missing one).

import { glassboxHome } from '../home.ts';
import { callEngine } from '../daemon/client.ts';
import type { EngineRequest } from '../daemon/protocol.ts';

/** An engine error on stderr: Docker's wording for a missing container (scripts match it), else ours. */
export function reportError(message: string): void {
  process.stderr.write(message.startsWith('No such ') ? `Error: ${message}\n` : `glassbox: ${message}\n`);
  process.exitCode = 125;
}

/** Sends a request and prints the error plainly when the engine refuses it. */
export async function call<T>(req: EngineRequest, onProgress?: (line: string) => void): Promise<T | undefined> {
  try {
    return (await callEngine(glassboxHome(), req, { onProgress })) as T;
  } catch (e) {
    reportError((e as Error).message);
    return undefined;
  }
}
