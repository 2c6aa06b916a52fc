import { runCheck } from './check';
import { processIo } from './io';

process.exitCode = runCheck(process.argv.slice(2), processIo);
