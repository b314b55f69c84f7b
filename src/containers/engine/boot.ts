// The default guest booted and its agent ready: the machine the container engine runs in.

import { Machine, type ClockMode } from '../../api/index.ts';
import { DEFAULT_MEMORY_MIB } from '../../boot/default-guest.ts';

export async function bootDefaultGuest(memoryMiB = DEFAULT_MEMORY_MIB, clock: ClockMode = 'virtual'): Promise<Machine> {
  const machine = await Machine.create({ memoryMiB, clock });
  machine.start();
  await machine.agentReady();
  return machine;
}
