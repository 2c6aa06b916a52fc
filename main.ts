import { run } from './lib/cli/run';

process.exitCode = run(process.argv.slice(2), process.env);
