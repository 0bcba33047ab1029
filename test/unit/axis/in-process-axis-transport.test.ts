import { inProcessTransport } from './support/in-process.ts';
import { transportBehaviour } from './support/transport-behaviour.ts';

transportBehaviour('InProcessAxisTransport', inProcessTransport);
