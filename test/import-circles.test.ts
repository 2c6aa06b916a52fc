import * as fs from 'fs';
import * as path from 'path';

/**
 * The import graph of lib/ (type-only imports included): no circle, and no import from the
 * model up into the output layer, nor from the intent and the renderers up into the model.
 */
const root = path.resolve(__dirname, '..');
const lib = path.join(root, 'lib');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each file of lib/ with the files of lib/ it imports (`import ... from './x'`, type-only imports included). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of sources(lib)) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?from '(\.{1,2}\/[^']+)'/gms)]
      .map((m) => path.resolve(path.dirname(file), m[1]))
      .map((t) => [`${t}.ts`, path.join(t, 'index.ts')].find((c) => fs.existsSync(c)))
      .filter((t): t is string => t !== undefined && t.startsWith(lib));
    g.set(path.relative(root, file), [...new Set(targets.map((t) => path.relative(root, t)))]);
  }
  return g;
}

/** The strongly connected components with more than one file (Tarjan), each sorted. */
function circles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) visit(v);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

test('the reader finds a circle where there is one', () => {
  expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
});

test('lib/ has no import circle: the intent and the renderers sit below the model, and a lab\'s services, clients and gateways name it by ILab', () => {
  expect(circles(graph())).toEqual([]);
});

test('the intent and the renderers import nothing from the model: they are functions of plain data', () => {
  const upward = [...graph()].filter(([file, targets]) => /^lib\/(intent|render)\//.test(file) && targets.some((t) => /^lib\/(mesh|scenarios|labs|output|cli)\//.test(t)));
  expect(upward.map(([file]) => file)).toEqual([]);
});

test('the model (mesh, scenarios, labs) and the checks import nothing from the output layer', () => {
  const upward = [...graph()].filter(([file, targets]) => /^lib\/(mesh|scenarios|labs|validate|istio|render)\//.test(file) && targets.some((t) => t.startsWith('lib/output/')));
  expect(upward.map(([file]) => file)).toEqual([]);
});
