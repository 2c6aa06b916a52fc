import { processIo } from '../../cli/io';
import { runSimulationVerify } from './main';

void runSimulationVerify(process.argv.slice(2), processIo).then((code) => (process.exitCode = code));
