// Whole-process synthesis of a generated mesh, run by scripts/bench.js as
// `node -e "require('./scripts/bundle').runBundle('bench-mesh')" N OUTDIR`.
// The same pipeline as `npm run synth` (build, check every object, write atomically).
import { App } from 'cdk8s';
import { generatedMesh } from '../lib/labs/generated';
import { render } from '../lib/output/render';
import { writeAtomically } from '../lib/output/write';
import { formatFinding } from '../lib/validate/manifest';

const [services, out] = [Number(process.argv[process.argv.length - 2]), process.argv[process.argv.length - 1]];
const synthesis = render([generatedMesh(new App({ outdir: 'unused' }), services)]);
if (synthesis.findings.length > 0) {
  for (const f of synthesis.findings.slice(0, 10)) console.error(formatFinding(f));
  process.exit(1);
}
writeAtomically(out, ['generated'], synthesis.files);
