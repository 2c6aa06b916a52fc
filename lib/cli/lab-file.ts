import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import * as constructs from 'constructs';
import * as meshlab from '../index';
import { LabDefinition } from '../labs';
import { PLATFORM } from '../app';
import { UsageError } from './flags';

/** The files a lab module and the modules it imports may be: TypeScript or JavaScript (CommonJS or ES modules). */
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** The repository's root: the nearest folder above this code with meshlab's package.json (lib/cli in source, build/ in the bundle). */
function meshlabRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'meshlab') return dir;
  }
  return path.resolve(__dirname, '..', '..');
}

/**
 * Loads a lab module of a user's own (`--lab-file PATH`): a TypeScript or JavaScript file whose
 * default export is a lab definition made with `defineLab` from meshlab's `lib/index.ts`. It and
 * the files it imports by relative path are compiled with esbuild (types are not checked: run
 * tsc for that), and run in this process. Its imports of meshlab (`'meshlab'`, or a relative path
 * to the repository's `lib/` or `lib/index.ts`), `cdk8s` and `constructs` get the very modules
 * synth runs with, so its MeshLab, Duration and flavours are synth's own; an import of a file
 * deeper in `lib/` is refused, as it would load a second copy.
 */
export function loadLabFile(file: string, builtIn: readonly LabDefinition[]): LabDefinition {
  const entry = path.resolve(file);
  if (!fs.existsSync(entry) || !fs.statSync(entry).isFile()) throw new UsageError(`--lab-file ${file}: no such file`);
  if (!SOURCE.test(entry)) throw new UsageError(`--lab-file ${file}: must be a TypeScript or JavaScript file (.ts, .mts, .cts, .js, .mjs, .cjs)`);
  const exported = new LabModules(file, meshlabRoot()).load(entry);
  const definition = (exported.default ?? exported) as Partial<LabDefinition> | undefined;
  const problem = notALab(definition);
  if (problem) throw new UsageError(`--lab-file ${file}: its default export ${problem}; export default defineLab({ name, build, ... }) with defineLab from meshlab's lib/index.ts`);
  // The guides' synth commands name the module as it is reached from where synth runs.
  const lab: LabDefinition = { ...(definition as LabDefinition), labFile: path.relative(process.cwd(), entry).split(path.sep).join('/') };
  const taken = [...builtIn.map((l) => l.name), PLATFORM];
  if (taken.includes(lab.name)) throw new UsageError(`--lab-file ${file}: lab name ${lab.name} is taken (${taken.join(', ')}); give your lab another name`);
  return lab;
}

/** Why `value` is not a lab definition, or undefined if it is one. */
function notALab(value: Partial<LabDefinition> | undefined): string | undefined {
  if (typeof value !== 'object' || value === null) return `is ${value === null ? 'null' : typeof value}, not a lab definition`;
  if (typeof value.name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value.name)) {
    return `has name ${JSON.stringify(value.name)}, which must be a DNS label (lower-case letters, digits and '-': it names the lab's folders)`;
  }
  if (typeof value.build !== 'function') return 'has no build function';
  if (!Array.isArray(value.scenarios)) return 'has no scenarios list (defineLab gives an empty one)';
  if (value.observe === undefined) return 'has no observe command (defineLab gives one)';
  return undefined;
}

/** The modules of one lab file: compiled once each, meshlab's own modules handed over as they are. */
class LabModules {
  private readonly cache = new Map<string, { exports: Record<string, unknown> }>();
  private readonly lib: string;
  private readonly esbuild: typeof import('esbuild');

  public constructor(private readonly file: string, root: string) {
    this.lib = path.join(root, 'lib');
    // Loaded at run time from node_modules (scripts/build.js leaves it out of the bundle: it runs a binary).
    this.esbuild = createRequire(path.join(root, 'package.json'))('esbuild') as typeof import('esbuild');
  }

  /** Runs `filename` (once) and returns its exports. */
  public load(filename: string): Record<string, unknown> {
    const cached = this.cache.get(filename);
    if (cached) return cached.exports;
    const module = { exports: {} as Record<string, unknown> };
    this.cache.set(filename, module);
    let code: string;
    try {
      code = this.esbuild.transformSync(fs.readFileSync(filename, 'utf8'), {
        loader: /\.[mc]?ts$/.test(filename) ? 'ts' : 'js', format: 'cjs', platform: 'node', target: 'node20', sourcefile: filename,
      }).code;
    } catch (e) {
      const first = ((e as { errors?: Array<{ text: string; location?: { line: number } }> }).errors ?? [])[0];
      throw new UsageError(`--lab-file ${this.file}: ${path.basename(filename)}${first?.location ? `:${first.location.line}` : ''} does not compile: ${first?.text ?? (e as Error).message}`);
    }
    // The CommonJS wrapper's parameters, as Node gives them to a module.
    const run = new Function('exports', 'require', 'module', '__filename', '__dirname', code);
    try {
      run(module.exports, (id: string) => this.require(id, filename), module, filename, path.dirname(filename));
    } catch (e) {
      if (e instanceof meshlab.MeshlabError) throw e;
      throw new UsageError(`--lab-file ${this.file}: ${path.basename(filename)} failed while loading: ${(e as Error).message ?? e}`);
    }
    return module.exports;
  }

  /** What `from` gets for `require(id)`. */
  private require(id: string, from: string): unknown {
    if (id === 'meshlab') return meshlab;
    if (id === 'cdk8s') return cdk8s;
    if (id === 'constructs') return constructs;
    if (!id.startsWith('.') && !path.isAbsolute(id)) return createRequire(from)(id);
    const target = path.resolve(path.dirname(from), id);
    if ([this.lib, path.join(this.lib, 'index'), path.join(this.lib, 'index.ts')].includes(target)) return meshlab;
    if (target.startsWith(this.lib + path.sep)) {
      throw new UsageError(`--lab-file ${this.file}: ${path.basename(from)} imports ${id}; import what a lab needs from meshlab's lib/index.ts ('meshlab' or the path of lib/), which exports it`);
    }
    const found = [target, ...['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '/index.ts', '/index.js'].map((ext) => target + ext)]
      .find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    if (found === undefined) throw new UsageError(`--lab-file ${this.file}: ${path.basename(from)} imports ${id}, which is not a file`);
    return SOURCE.test(found) ? this.load(found) : createRequire(from)(found);
  }
}
