import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from './flags';

/** Where the output folder came from, for messages: `--out` or `CDK8S_OUTDIR`. */
export type OutSource = '--out' | 'CDK8S_OUTDIR';

/** The folder holding meshlab's package.json (the project), found from this file. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** `dir` is `other` or a folder holding it. */
const holds = (dir: string, other: string) => {
  const rel = path.relative(dir, other);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** What a lab's folder (or the platform's) holds once meshlab has written it. */
const WRITTEN_MARKERS = ['00-namespace.yaml', 'istioctl'];

/**
 * Checks the output folder before anything is built or written, since writing replaces
 * the folders named `folders` (the labs and `platform`) inside it. Refused, in one line:
 * an empty value (an unset variable in a script), the file system root, the project, the
 * working folder or the home folder or one holding them, something that is not a folder,
 * and a lab's own folder: one named like a lab (`dist/tutorial`), or inside one meshlab
 * has written (`dist/tutorial/steps`). Returns the folder as given.
 */
export function checkOutDir(out: string, source: OutSource, folders: readonly string[], cwd = process.cwd()): string {
  const shown = `${source} ${out === '' ? "''" : out}`;
  if (out.trim() === '') throw new UsageError(`${shown}: the output folder is empty; give one, e.g. --out dist`);
  const target = path.resolve(cwd, out);
  if (path.parse(target).root === target) throw new UsageError(`${shown} is the file system root; give a folder of its own, e.g. --out dist`);
  const kept: Array<[string, string]> = [[projectRoot(), 'the project folder'], [cwd, 'the working folder'], [os.homedir(), 'your home folder']];
  for (const [dir, what] of kept) {
    if (dir && holds(target, dir)) throw new UsageError(`${shown} is ${what} or holds it; give a folder of its own, e.g. --out dist`);
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(target);
  } catch {
    stat = undefined;
  }
  if (stat && !stat.isDirectory()) throw new UsageError(`${shown} is not a folder; give a folder (it is created if missing), e.g. --out dist`);
  if (!stat && isDanglingLink(target)) throw new UsageError(`${shown} is a symbolic link to nothing; make its target or give another folder`);
  const name = path.basename(target);
  if (folders.includes(name)) {
    throw new UsageError(`${shown} is named like the folder of ${name}; give the folder that holds the labs, e.g. --out ${path.dirname(out) === '.' ? 'dist' : path.dirname(out)}`);
  }
  for (let dir = path.dirname(target); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (folders.includes(path.basename(dir)) && WRITTEN_MARKERS.some((m) => fs.existsSync(path.join(dir, m)))) {
      const relative = path.relative(cwd, dir);
      throw new UsageError(`${shown} is inside ${path.basename(dir)}'s folder ${relative.startsWith('..') ? dir : relative}; give the folder that holds the labs`);
    }
  }
  return out;
}

function isDanglingLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
