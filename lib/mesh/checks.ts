import { isPresent } from './presence';
import { ApiObject, Chart } from 'cdk8s';
import { IValidation } from 'constructs';
import { imageFindings } from '../validate/image';
import { checkManifests } from '../validate/check';
import { Manifest, formatFinding } from '../validate/manifest';

let suspended = 0;

/**
 * Runs `fn` with the labs' whole-graph validations switched off: meshlab's own render runs the
 * same checks itself, keeping each finding's code, severity and file, and the step labs it
 * builds hold only what a step changes, which the whole-lab checks would misread.
 */
export function withoutGraphChecks<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

/**
 * The checks `npm run synth` runs over a lab's objects (lib/validate: references between
 * objects, schemas, what istiod would refuse; and pullable image references), as a construct
 * validation, so a plain `app.synth()` refuses a broken lab before it writes a file: cdk8s
 * App.synth (cdk8s src/app.ts) creates the output folder, validates every construct and only
 * then writes, so a failing check leaves the folder empty. Errors only: warnings do not stop
 * synthesis.
 */
export class LabChecks implements IValidation {
  public constructor(private readonly lab: Chart) {}

  public validate(): string[] {
    if (suspended > 0) return [];
    const objects = this.lab.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && isPresent(c))
      .map((o) => ({ manifest: o.toJson() as Manifest, file: `${this.lab.node.id}/` }));
    const findings = [...checkManifests(objects), ...imageFindings(objects.map((o) => o.manifest), `${this.lab.node.id}/`)];
    return findings.filter((f) => f.severity === 'error').map(formatFinding);
  }
}
