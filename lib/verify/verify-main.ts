import { processIo } from '../cli/io';
import { runVerify } from './main';

void runVerify(process.argv.slice(2), processIo).then((code) => (process.exitCode = code));
