// npm run bench [-- --runs N] [--services 10,100,1000]
// Median whole-process wall time of synthesis: every lab (as `npm run synth` runs it, with
// and without npm's own start-up, and through `npx cdk8s synth`), and a generated mesh of
// N services x 2 versions, so the growth of the cost with the mesh shows. Then the offline
// analyzer (npm run check) on dist/ and on those generated meshes.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const runs = Number(option('--runs', '7'));
const sizes = option('--services', '10,100,1000').split(',').map(Number);
if (!Number.isInteger(runs) || runs < 1 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error('bench: --runs and --services take positive whole numbers, e.g. --runs 7 --services 10,100,1000');
  process.exit(2);
}

require('./build').build();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-bench-'));

function measure(command, argv, env = {}, okStatus = [0]) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const out = path.join(scratch, `out-${i}`);
    const start = process.hrtime.bigint();
    const r = spawnSync(command, argv(out), { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (!okStatus.includes(r.status)) throw new Error(`${command} ${argv(out).join(' ')} failed: ${r.stderr}`);
    times.push(ms);
    fs.rmSync(out, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

const rows = [];
const row = (what, objects, t) => rows.push([what, String(objects), t.median.toFixed(0), t.min.toFixed(0), t.max.toFixed(0)]);
const npx = path.join(root, 'node_modules', '.bin', 'cdk8s');

row('node scripts/synth.js (all labs)', 106, measure(process.execPath, (o) => ['scripts/synth.js', '--out', o]));
row('npm run synth (all labs)', 106, measure('npm', (o) => ['run', '-s', 'synth', '--', '--out', o]));
row('npx cdk8s synth (all labs)', 106, measure(npx, (o) => ['synth', '--output', o]));
const perService = [];
for (const n of sizes) {
  const t = measure(process.execPath, (o) => ['-e', "require('./scripts/bundle').runBundle('bench-mesh')", String(n), o]);
  row(`generated mesh, ${n} services x 2 versions`, n * 6, t);
  perService.push([n, t.median]);
}

const checks = [];
const check = (what, objects, t) => checks.push([what, String(objects), t.median.toFixed(0), t.min.toFixed(0), t.max.toFixed(0)]);
const objectsIn = (dir) => JSON.parse(spawnSync(process.execPath, ['scripts/check.js', '--json', dir], { cwd: root, encoding: 'utf8' }).stdout).objects;
// dist/ as one set reports the labs' Gateways conflicting (IST0145, exit 1): each lab deploys alone.
check('node scripts/check.js dist', objectsIn('dist'), measure(process.execPath, () => ['scripts/check.js', 'dist'], {}, [0, 1]));
check('npm run check (dist)', objectsIn('dist'), measure('npm', () => ['run', '-s', 'check'], {}, [0, 1]));
for (const n of sizes) {
  const mesh = path.join(scratch, `mesh-${n}`);
  spawnSync(process.execPath, ['-e', "require('./scripts/bundle').runBundle('bench-mesh')", String(n), mesh], { cwd: root });
  check(`node scripts/check.js, ${n} services x 2 versions`, objectsIn(mesh), measure(process.execPath, () => ['scripts/check.js', mesh]));
}
fs.rmSync(scratch, { recursive: true, force: true });
const stepRun = spawnSync(process.execPath, ['-e', "require('./scripts/bundle').runBundle('bench-steps')", String(runs)], { cwd: root, encoding: 'utf8' });
if (stepRun.status !== 0) throw new Error(`bench-steps failed: ${stepRun.stderr}`);
const stepTimes = JSON.parse(stepRun.stdout);

const header = ['synthesis (whole process)', 'objects', 'median ms', 'min ms', 'max ms'];
const checkHeader = ['offline analyzer (whole process)', ...header.slice(1)];
const widths = header.map((_, i) => Math.max(...[header, checkHeader, ...rows, ...checks].map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`${runs} runs each, ${os.cpus().length} cores, node ${process.version}`);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log(line(checkHeader));
for (const r of checks) console.log(line(r));
console.log(`steps of every lab (${stepTimes.steps}, in process, median ms): ${stepTimes.oneLab.toFixed(0)} built on one lab, `
  + `${stepTimes.freshLab.toFixed(0)} with a fresh lab per step (x${(stepTimes.freshLab / stepTimes.oneLab).toFixed(1)})`);
for (let i = 1; i < perService.length; i++) {
  const [[n0, t0], [n1, t1]] = [perService[i - 1], perService[i]];
  console.log(`${n0} -> ${n1} services (${(n1 / n0).toFixed(0)}x): time x${(t1 / t0).toFixed(2)}`);
}
