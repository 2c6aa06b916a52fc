import { App, Chart } from 'cdk8s';
import { LABS } from './labs';
import { LabOptions } from './labs/options';
import { Platform, PlatformProps } from './platform/platform';

/** The name `--lab` takes for the Istio platform, which is written beside the labs. */
export const PLATFORM = 'platform';

export interface MeshlabProps {
  /** Labs to build, and `platform`; in the order of LABS. @default every lab and the platform */
  readonly targets?: readonly string[];
  /** Options per lab name. */
  readonly labOptions?: Readonly<Record<string, LabOptions>>;
  readonly platform?: PlatformProps;
}

/** Builds the charts: one per lab (its folder is its name) and the platform's. */
export function buildCharts(props: MeshlabProps = {}): Chart[] {
  const app = new App({ outdir: 'unused' });
  const wanted = (name: string) => props.targets === undefined || props.targets.includes(name);
  const charts: Chart[] = LABS.filter((l) => wanted(l.name)).map((l) => l.build(app, props.labOptions?.[l.name]));
  if (wanted(PLATFORM)) charts.push(new Platform(app, props.platform));
  return charts;
}
