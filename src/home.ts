// Where glassbox keeps its state on the host: $GLASSBOX_HOME, or ~/.glassbox.

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function glassboxHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.GLASSBOX_HOME;
  return home ? resolve(home) : join(homedir(), '.glassbox');
}
