import { ApiObject, Chart } from 'cdk8s';
import { Construct, IValidation } from 'constructs';
import { imageFindings } from '../validate/image';
import { Located, checkManifests } from '../validate/check';
import { Finding, Manifest, formatFinding } from '../validate/manifest';
import { isPresent } from './presence';

/**
 * The whole-graph checks of a chart (lib/validate: references between objects, schemas, what
 * istiod would refuse; and pullable image references), the one place they run: a cdk8s
 * validation, on a construct of its own so a synthesis can tell it from the others.
 *
 * - A plain `app.synth()` runs it with every validation, so it refuses a broken lab before it
 *   writes a file (cdk8s App.synth validates every construct, then writes). Errors only:
 *   warnings do not stop synthesis.
 * - meshlab's own render (lib/output/render.ts) runs it once, with the objects it has already
 *   read and their files, for every finding with its code, severity and file.
 */
export class GraphChecks extends Construct implements IValidation {
  private static readonly ID = 'GraphChecks';

  /** The checks of `chart`, if it has them (every MeshLab and the Platform do). */
  public static of(chart: Chart): GraphChecks | undefined {
    return chart.node.tryFindChild(GraphChecks.ID) as GraphChecks | undefined;
  }

  public constructor(private readonly chart: Chart) {
    super(chart, GraphChecks.ID);
    this.node.addValidation(this);
  }

  /** Every finding over `objects` (the chart's, as written under `folder`). */
  public findings(objects: readonly Located[], folder: string): Finding[] {
    return [...checkManifests(objects), ...imageFindings(objects.map((o) => o.manifest), `${folder}/`)];
  }

  /** The errors, for cdk8s's validation. */
  public validate(): string[] {
    const folder = this.chart.node.id;
    const objects = this.chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && isPresent(c))
      .map((o) => ({ manifest: o.toJson() as Manifest, file: `${folder}/` }));
    return this.findings(objects, folder).filter((f) => f.severity === 'error').map(formatFinding);
  }
}
