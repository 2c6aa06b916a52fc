import { Construct } from 'constructs';
import { MeshlabError } from '../errors';
import type { IOutputFile, MeshLab } from '../mesh/lab';
import type { MeshService, ServiceVersion } from '../mesh/service';

/**
 * A step of a tutorial applied to a lab. Changes to a service's routing land in that
 * service's VirtualService and DestinationRule; objects a scenario adds of its own
 * (policies, service entries, filters) are written to `<scenario>.yaml` in the lab's folder.
 */
export abstract class Scenario extends Construct implements IOutputFile {
  public readonly fileName: string;

  protected constructor(public readonly lab: MeshLab, public readonly name: string) {
    super(lab, name);
    this.fileName = `${name}.yaml`;
    lab.registerScenario(this);
  }
}

/** Fails unless `value` is a percentage. */
export function checkPercent(scenario: string, what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    throw new MeshlabError(`${scenario}: ${what} must be a percentage from 0 to 100, got ${value}`);
  }
}

/** Fails unless the service takes HTTP routing. */
export function checkHttp(scenario: string, service: MeshService): void {
  if (!service.isHttp) {
    throw new MeshlabError(`${scenario}: service ${service.name} speaks ${service.protocol}, not HTTP (HTTP services: ${service.lab.services.filter((s) => s.isHttp).map((s) => s.name).join(', ')})`);
  }
}

/** Fails unless every version belongs to one service; returns that service. */
export function sameService(scenario: string, versions: readonly ServiceVersion[]): MeshService {
  const service = versions[0].service;
  const other = versions.find((v) => v.service !== service);
  if (other) throw new MeshlabError(`${scenario}: versions of ${service.name} and ${other.service.name} cannot share one route`);
  return service;
}

/** The Istio principal of a service's ServiceAccount. */
export function principalOf(workload: { readonly lab: MeshLab; readonly serviceAccountName: string }): string {
  return `cluster.local/ns/${workload.lab.namespace}/sa/${workload.serviceAccountName}`;
}
