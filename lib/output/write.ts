import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MeshlabError } from '../errors';
import type { OutputFile } from './render';

/**
 * Replaces the folders `owned` inside `outDir` with `files` (each file's first path segment
 * is one of them), all or nothing: each folder's new content is written to a hidden
 * sibling first, then the folders are swapped in by renaming, and a failure at any point
 * puts back what was there. Nothing else in `outDir` is read, copied or moved; `outDir`
 * itself is only created if missing, so a symbolic link to a folder is written through, and
 * so is a lab folder that is a symbolic link. Folders and files get the modes the user's
 * umask gives (the same as `mkdir` and a shell redirect).
 * A file system error becomes one line naming the path (a MeshlabError).
 */
export function writeAtomically(outDir: string, owned: readonly string[], files: readonly OutputFile[]): void {
  const target = path.resolve(outDir);
  const tag = randomBytes(6).toString('hex');
  const byFolder = new Map<string, OutputFile[]>(owned.map((name) => [name, []]));
  for (const file of files) {
    const [top] = file.path.split('/');
    if (!byFolder.has(top)) throw new Error(`${file.path} is outside the folders written (${owned.join(', ')})`);
    byFolder.get(top)!.push(file);
  }

  const swaps: Array<{ place: string; staged: string; old: string; hadOld: boolean; swapped: boolean; movedOld: boolean }> = [];
  const cleanUp = () => {
    for (const s of swaps) {
      fs.rmSync(s.staged, { recursive: true, force: true });
      fs.rmSync(s.old, { recursive: true, force: true });
    }
  };
  try {
    fs.mkdirSync(target, { recursive: true });
    for (const [name, folderFiles] of byFolder) {
      const place = placeOf(path.join(target, name));
      const base = path.join(path.dirname(place), `.${path.basename(place)}`);
      const swap = { place, staged: `${base}.new-${tag}`, old: `${base}.old-${tag}`, hadOld: exists(place), swapped: false, movedOld: false };
      swaps.push(swap);
      fs.mkdirSync(swap.staged);
      const made = new Set<string>([swap.staged]);
      for (const file of folderFiles) {
        const dest = path.join(swap.staged, ...file.path.split('/').slice(1));
        const dir = path.dirname(dest);
        if (!made.has(dir)) {
          fs.mkdirSync(dir, { recursive: true });
          made.add(dir);
        }
        fs.writeFileSync(dest, file.content);
      }
    }
    for (const s of swaps) {
      if (s.hadOld) {
        fs.renameSync(s.place, s.old);
        s.movedOld = true;
      }
      fs.renameSync(s.staged, s.place);
      s.swapped = true;
    }
  } catch (e) {
    for (const s of [...swaps].reverse()) {
      try {
        if (s.swapped) fs.renameSync(s.place, s.staged);
        if (s.movedOld) fs.renameSync(s.old, s.place);
      } catch {
        // Best effort: the first error is the one to report.
      }
    }
    cleanUp();
    throw asUserError(e, outDir);
  }
  cleanUp();
}

/** Where a lab folder's content lives: through a symbolic link, its target. */
function placeOf(p: string): string {
  try {
    return fs.lstatSync(p).isSymbolicLink() ? fs.realpathSync(p) : p;
  } catch {
    return p;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A file system error (EACCES, EROFS, ENOSPC, ENOTDIR...) as one line; anything else as is. */
function asUserError(e: unknown, outDir: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string' || !err.syscall) return e;
  const relative = err.path ? path.relative(process.cwd(), err.path) : '';
  const where = !err.path ? outDir : relative && !relative.startsWith('..') ? relative : err.path;
  const why = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*$/, '');
  return new MeshlabError(`cannot write to ${outDir}: ${why} (${where}); nothing was changed`);
}
