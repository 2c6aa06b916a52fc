import { buildLab } from '../app';
import { LABS, LabDefinition } from '../labs';
import { LabOptions } from '../labs/options';
import { StepState } from '../mesh/step-state';
import { UsageError } from './flags';

/**
 * No two labs in one namespace: `kubectl delete -f dist/<lab>/` deletes the lab's namespace,
 * and with it the other lab. Checked across every lab (those written by this run and those
 * already in the output folder), with the run's `--namespace` options, before anything is written.
 */
export function checkNamespaces(labOptions: Readonly<Record<string, LabOptions>>, labs: readonly LabDefinition[] = LABS): void {
  if (!Object.values(labOptions).some((o) => o.namespace !== undefined)) return;
  const owner = new Map<string, string>();
  const moved = labs.filter((l) => labOptions[l.name]?.namespace !== undefined).map((l) => l.name);
  // Moved labs last, so the message names the lab that moved into another's namespace.
  const order = [...labs].sort((a, b) => Number(moved.includes(a.name)) - Number(moved.includes(b.name)));
  for (const definition of order) {
    const namespace = labOptions[definition.name]?.namespace ?? buildLab(definition, undefined, undefined, new StepState()).lab.namespace;
    const other = owner.get(namespace);
    if (other !== undefined) {
      throw new UsageError(`--namespace ${definition.name}=${namespace}: lab ${other} is in namespace ${namespace} too; give each lab its own (kubectl delete -f dist/${definition.name}/ deletes its namespace)`);
    }
    owner.set(namespace, definition.name);
  }
}
