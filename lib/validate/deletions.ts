/**
 * The objects a file says to delete before it is applied: meshlab writes a step that replaces
 * an object of one kind with one of another (a fault step of the gateway-api flavour deletes
 * the host's HTTPRoute and adds a VirtualService) with a `# First: kubectl -n NS delete KIND
 * NAME` line in its header. check and explain apply the step as a learner would: the deleted
 * objects are gone.
 */
import type { ObjectRef } from './check';
import type { Manifest } from './manifest';

/** kubectl's short names of the kinds steps delete, to their kind. */
const SHORT: Readonly<Record<string, string>> = { vs: 'virtualservice', dr: 'destinationrule', gw: 'gateway', se: 'serviceentry', svc: 'service', deploy: 'deployment', ns: 'namespace', sa: 'serviceaccount', po: 'pod' };

/** The kind a `kubectl delete` argument names: `httproute`, `httproutes`, `httproute.gateway.networking.k8s.io`, `vs`. */
function kindOf(arg: string): string {
  const base = arg.toLowerCase().split('.')[0];
  return SHORT[base] ?? base;
}

/** The deletions of every `kubectl ... delete KIND NAME...` in `# First:` lines at the top of a file (before its first object). */
export function headerDeletions(text: string): ObjectRef[] {
  const out: ObjectRef[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (!line.startsWith('#')) break;
    const first = /^#\s*First:\s*(.*)$/.exec(line);
    if (!first) continue;
    for (const command of first[1].split('&&')) {
      const words = command.trim().split(/\s+/);
      if (words[0] !== 'kubectl') continue;
      let namespace = 'default';
      const rest: string[] = [];
      for (let i = 1; i < words.length; i++) {
        if (words[i] === '-n' || words[i] === '--namespace') namespace = words[++i] ?? namespace;
        else if (words[i].startsWith('--namespace=')) namespace = words[i].slice('--namespace='.length);
        else if (!words[i].startsWith('-')) rest.push(words[i]);
      }
      if (rest[0] !== 'delete' || rest.length < 2) continue;
      // `delete kind name...` or `delete kind/name`.
      if (rest[1].includes('/')) {
        for (const r of rest.slice(1)) out.push({ kind: kindOf(r.split('/')[0]), namespace, name: r.split('/')[1] });
      } else {
        for (const name of rest.slice(2)) out.push({ kind: kindOf(rest[1]), namespace, name });
      }
    }
  }
  return out;
}

/** Whether a deletion names an object (its kind as kubectl takes it, singular or plural). */
export function deletes(ref: ObjectRef, m: Manifest): boolean {
  const kind = m.kind.toLowerCase();
  return (ref.kind === kind || ref.kind === `${kind}s`) && ref.name === m.metadata.name && ref.namespace === (m.metadata.namespace ?? 'default');
}
