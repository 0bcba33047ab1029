// The exchange cases on the embedded default: PGlite databases and one in-process axis.
import { exchangeFlowCases } from './exchange-flow.cases.ts';
import { testPrefix } from '../axis/support/broker.ts';

exchangeFlowCases('pglite', () => ({ url: null, prefix: testPrefix() }));
