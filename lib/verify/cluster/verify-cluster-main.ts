import { processIo } from '../../cli/io';
import { runVerifyCluster } from './main';

void runVerifyCluster(process.argv.slice(2), processIo).then((code) => (process.exitCode = code));
