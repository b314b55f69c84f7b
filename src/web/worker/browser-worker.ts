// Entry point of the page's Web Worker: the machine service, exposed to the page.

import { expose } from 'comlink';
import { MachineService } from './machine-service.ts';

expose(new MachineService());
