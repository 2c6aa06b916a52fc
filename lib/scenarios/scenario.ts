import { Construct, IConstruct } from 'constructs';
import { MeshlabError } from '../errors';
import { FileConstruct } from '../mesh/file';
import { MeshLab } from '../mesh/lab';
import type { IService, IVersion } from '../mesh/routing';
import { StepState } from '../mesh/step-state';

/**
 * A step of a tutorial applied to a lab, as a construct like any other: `(scope, id, props)`,
 * as many per lab as it needs, each with its own id. Changes to a service's routing land in
 * that service's VirtualService and DestinationRule; objects a scenario adds of its own
 * (policies, service entries, filters) are written to `<id>.yaml` in the lab's folder.
 *
 * Every lab object the props reference (services, versions, gateways, clients) must belong
 * to the lab the scenario is in: a reference to another lab is refused where it is passed.
 */
export abstract class Scenario extends FileConstruct {
  /** The lab the scenario is in (its nearest MeshLab scope). */
  public readonly lab: MeshLab;
  /** The kind of scenario (`canary`, `route`), which messages about its props name. */
  public readonly name: string;

  protected constructor(scope: Construct, id: string, kind: string, props: object) {
    super(scope, id, `${id}.yaml`);
    this.lab = MeshLab.of(this);
    this.name = kind;
    for (const ref of labReferences(props)) {
      if (ref.lab !== this.lab) {
        throw new MeshlabError(`${this.node.path}: ${ref.node.path} belongs to lab ${ref.lab.node.path}, not to lab ${this.lab.node.path} where the scenario is`);
      }
    }
    StepState.of(this.lab)?.recordScenario(this);
  }

  /** Who claims a part of a host's routing: this construct, by path, so a conflict names both. */
  protected get owner(): string {
    return this.node.path;
  }
}

/** A construct of a lab: it knows its lab. */
interface LabPart extends IConstruct {
  readonly lab: MeshLab;
}

const isLabPart = (value: object): value is LabPart => value instanceof Construct && (value as { lab?: unknown }).lab instanceof MeshLab;

/** Every lab construct `props` references, through arrays and plain objects. */
function labReferences(props: unknown, depth = 0): LabPart[] {
  if (typeof props !== 'object' || props === null || depth > 4) return [];
  if (isLabPart(props)) return [props];
  if (props instanceof Construct) return [];
  const values = Array.isArray(props) ? props : Object.getPrototypeOf(props) === Object.prototype ? Object.values(props) : [];
  return values.flatMap((v) => labReferences(v, depth + 1));
}

/** Fails unless `value` is a percentage. */
export function checkPercent(scenario: string, what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    throw new MeshlabError(`${scenario}: ${what} must be a percentage from 0 to 100, got ${value}`);
  }
}

/** Fails unless the service takes HTTP routing. */
export function checkHttp(scenario: string, service: IService): void {
  if (!service.isHttp) {
    throw new MeshlabError(`${scenario}: service ${service.name} speaks ${service.protocol}, not HTTP (HTTP services: ${service.lab.services.filter((s) => s.isHttp).map((s) => s.name).join(', ')})`);
  }
}

/** Fails unless every version belongs to one service; returns that service. */
export function sameService(scenario: string, versions: readonly IVersion[]): IService {
  const service = versions[0].meshService;
  const other = versions.find((v) => v.meshService !== service);
  if (other) throw new MeshlabError(`${scenario}: versions of ${service.name} and ${other.meshService.name} cannot share one route`);
  return service;
}

/** The Istio principal of a service's ServiceAccount. */
export function principalOf(workload: { readonly lab: { readonly namespace: string }; readonly serviceAccountName: string }): string {
  return `cluster.local/ns/${workload.lab.namespace}/sa/${workload.serviceAccountName}`;
}
