// The page's handle on the machine: the comlink proxy of the worker's service.

import type { Remote } from 'comlink';
import type { MachineService } from '../worker/machine-service.ts';

export type MachineProxy = Remote<MachineService>;
