import { runExplain } from './explain';

process.exitCode = runExplain(process.argv.slice(2), process.env);
