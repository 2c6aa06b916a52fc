// Compiles the app with esbuild (no type-check: `npm test` runs tsc) into build/, and the
// precompiled Istio validators it bundles. Skips both when nothing changed, so a synth
// after a fresh build starts straight away.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const ENTRIES = { main: 'main.ts', check: 'lib/cli/check-main.ts', explain: 'lib/cli/explain-main.ts', 'bench-mesh': 'scripts/bench-mesh.ts', 'bench-steps': 'scripts/bench-steps.ts', 'bench-kustomize': 'scripts/bench-kustomize.ts', 'verify-istio': 'lib/verify/verify-main.ts', 'verify-cluster': 'lib/verify/cluster/verify-cluster-main.ts', 'verify-simulation': 'lib/verify/simulation/simulation-main.ts' };
const SOURCES = ['main.ts', 'lib', 'imports', 'scripts', 'package.json', 'package-lock.json'];

function newestMtime(p) {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(p).reduce((max, e) => Math.max(max, newestMtime(path.join(p, e))), stat.mtimeMs);
}

function isStale() {
  try {
    const built = Math.min(...Object.keys(ENTRIES).map((e) => fs.statSync(path.join(root, 'build', `${e}.js`)).mtimeMs));
    return SOURCES.some((s) => fs.existsSync(path.join(root, s)) && newestMtime(path.join(root, s)) > built);
  } catch {
    return true;
  }
}

/** Builds every entry into build/ unless the bundles are newer than every source. */
function build() {
  // The validators are bundled into build/, so a bundle newer than every source (the
  // generator and package-lock.json included) has current ones.
  if (!isStale()) return false;
  require('./istio-validators').ensureIstioValidators();
  for (const entry of Object.keys(ENTRIES)) fs.rmSync(path.join(root, 'build', `${entry}.cache`), { force: true });
  require('esbuild').buildSync({
    absWorkingDir: root,
    entryPoints: Object.entries(ENTRIES).map(([out, src]) => ({ in: src, out })),
    outdir: 'build',
    bundle: true, // one file loads faster than hundreds of modules
    external: ['esbuild'], // --lab-file compiles with it; it runs its own binary from node_modules
    platform: 'node',
    target: 'node20',
    legalComments: 'none',
    minify: true, // less to parse on every start
    logLevel: 'warning',
  });
  return true;
}

module.exports = { build };

if (require.main === module) {
  console.log(build() ? 'built build/' : 'build/ is up to date');
}
