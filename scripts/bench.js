// npm run bench [-- --runs N] [--services 10,100,1000]
// Median whole-process wall time of synthesis: every lab (as `npm run synth` runs it, with
// and without npm's own start-up, and through `npx cdk8s synth`), and a generated mesh of
// N services x 2 versions, so the growth of the cost with the mesh shows. Then the offline
// analyzer (npm run check) on dist/ and on those generated meshes. And `kubectl kustomize`
// over the objects of every folder the synthesis writes (scripts/kustomize-input.ts says which
// files), beside the synthesis of all of them: issue 11 wants synthesis within 5x of kustomize.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const yaml = require('js-yaml');

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
  return summary(times);
}

const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
};

/**
 * CPU time (user + system, ms) of this process's finished children, from Linux's
 * /proc/self/stat (cutime, cstime in USER_HZ = 100 ticks a second); undefined elsewhere.
 * Unlike wall time, it hardly grows when other jobs share the cores.
 */
function childrenCpu() {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

/** Wall and CPU time of several commands in a row, each of which must succeed. */
function timeCommands(commands) {
  const [start, cpu] = [process.hrtime.bigint(), childrenCpu()];
  for (const [command, argv] of commands) {
    const r = spawnSync(command, argv, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed: ${r.stderr || r.error}`);
  }
  const cpuEnd = childrenCpu();
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: cpu === undefined ? undefined : cpuEnd - cpu };
}

/**
 * The synthesis and kubectl kustomize over the kustomizations bench-kustomize laid out, timed
 * in turn within each run so that both meet the same load on a shared machine; or the one
 * line that says why the comparison is skipped. kustomize's object count is of its output.
 */
function kustomizeComparison(layout) {
  const version = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (version.error) return { skipped: version.error.code === 'ENOENT' ? 'kubectl is not on PATH' : `kubectl cannot be run (${version.error.message})` };
  const kustomize = /Kustomize Version: (\S+)/.exec(version.stdout || '');
  if (version.status !== 0 || !kustomize) return { skipped: 'kubectl version --client names no Kustomize version' };
  let out = 0;
  for (const dir of layout.dirs) {
    const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) return { skipped: `kubectl kustomize refused the input: ${(r.stderr || String(r.error)).trim().split('\n')[0]}` };
    out += yaml.loadAll(r.stdout).filter((d) => d !== null && d !== undefined).length;
  }
  const empty = path.join(scratch, 'kustomize-empty');
  fs.mkdirSync(empty);
  fs.writeFileSync(path.join(empty, 'kustomization.yaml'), 'resources: []\n');
  const [synth, kustomizeAll, startup] = [[], [], []];
  for (let i = 0; i < runs; i++) {
    const dir = path.join(scratch, `versus-${i}`);
    synth.push(timeCommands([[process.execPath, ['scripts/synth.js', '--out', dir]]]));
    fs.rmSync(dir, { recursive: true, force: true });
    kustomizeAll.push(timeCommands(layout.dirs.map((d) => ['kubectl', ['kustomize', d]])));
    startup.push(timeCommands([['kubectl', ['kustomize', empty]]]));
  }
  const of = (times, key) => (times.some((t) => t[key] === undefined) ? undefined : summary(times.map((t) => t[key])));
  return {
    version: kustomize[1],
    out,
    ...Object.fromEntries(['wall', 'cpu'].map((key) => [key, {
      synth: of(synth, key),
      kustomize: of(kustomizeAll, key),
      startup: of(startup, key),
      ratios: of(synth.map((t, i) => ({ [key]: t[key] / kustomizeAll[i][key] })), key),
    }])),
  };
}

const rows = [];
const row = (what, objects, t) => rows.push([what, String(objects), t.median.toFixed(0), t.min.toFixed(0), t.max.toFixed(0)]);
const npx = path.join(root, 'node_modules', '.bin', 'cdk8s');

const synthOut = path.join(scratch, 'synth');
const written = spawnSync(process.execPath, ['scripts/synth.js', '--out', synthOut], { cwd: root, encoding: 'utf8' });
if (written.status !== 0) throw new Error(`synth failed: ${written.stderr}`);
const layoutRun = spawnSync(process.execPath, ['-e', "require('./scripts/bundle').runBundle('bench-kustomize')", synthOut, path.join(scratch, 'kustomize')], { cwd: root, encoding: 'utf8' });
if (layoutRun.status !== 0) throw new Error(`bench-kustomize failed: ${layoutRun.stderr}`);
const layout = JSON.parse(layoutRun.stdout);
const folders = fs.readdirSync(synthOut).sort();

row('node scripts/synth.js (all labs)', layout.written, measure(process.execPath, (o) => ['scripts/synth.js', '--out', o]));
const versus = kustomizeComparison(layout);
row('npm run synth (all labs)', layout.written, measure('npm', (o) => ['run', '-s', 'synth', '--', '--out', o]));
row('npx cdk8s synth (all labs)', layout.written, measure(npx, (o) => ['synth', '--output', o]));
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
console.log(`steps of every lab in every flavour (${stepTimes.steps} in ${stepTimes.labs} lab folders, in process, median ms): ${stepTimes.oneLab.toFixed(0)} built on one lab, `
  + `${stepTimes.freshLab.toFixed(0)} with a fresh lab per step (x${(stepTimes.freshLab / stepTimes.oneLab).toFixed(1)})`);
console.log(`synthesis and kubectl kustomize over the same objects (${folders.length} output folders: ${folders.join(', ')}):`);
const leftOut = new Map();
for (const f of layout.leftOut) leftOut.set(f.reason, (leftOut.get(f.reason) || 0) + 1);
console.log(`  node scripts/synth.js writes ${layout.yamlFiles} YAML files, ${layout.written} objects; kustomize takes the ${layout.files} files`
  + ` at the top of the folders, ${layout.objects} objects${[...leftOut].map(([reason, n]) => `; left out: ${n} ${reason}`).join('')}`);
if (versus.skipped) {
  console.log(`  kustomize comparison skipped: ${versus.skipped}`);
} else {
  const ms = (t) => `median ${t.median.toFixed(0)} ms (${t.min.toFixed(0)}-${t.max.toFixed(0)})`;
  const k = layout.dirs.length;
  const kustomizations = k === 1 ? '1 kustomization'
    : `${k} kustomizations one after another (kustomize refuses one object id twice in a kustomization, and the flavours of a lab share names)`;
  console.log(`  kubectl kustomize (Kustomize ${versus.version}): ${kustomizations}, ${versus.out} objects out`);
  for (const [key, what] of [['wall', 'wall time'], ['cpu', 'CPU time (user + system)']]) {
    const t = versus[key];
    if (t.synth === undefined) continue;
    const ratio = t.synth.median / t.kustomize.median;
    console.log(`  ${what}, the two taken in turn in each run: node scripts/synth.js ${ms(t.synth)}; kubectl kustomize ${ms(t.kustomize)};`
      + ` of an empty kustomization ${ms(t.startup)}`);
    console.log(`    synthesis / kustomize: ${t.synth.median.toFixed(0)} / ${t.kustomize.median.toFixed(0)} ms = x${ratio.toFixed(2)},`
      + ` ${ratio <= 5 ? 'within' : 'NOT within'} 5x (each run's own ratio x${t.ratios.min.toFixed(2)} to x${t.ratios.max.toFixed(2)})`);
  }
}
for (let i = 1; i < perService.length; i++) {
  const [[n0, t0], [n1, t1]] = [perService[i - 1], perService[i]];
  console.log(`${n0} -> ${n1} services (${(n1 / n0).toFixed(0)}x): time x${(t1 / t0).toFixed(2)}`);
}
