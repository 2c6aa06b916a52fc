import * as fs from 'fs';
import * as path from 'path';
import type { OutputFile } from './render';

/**
 * Replaces the top-level folders `owned` of `outDir` with `files`, all at once: the new
 * tree is built in a staging folder beside `outDir` (other top-level entries copied over)
 * and swapped in by renaming, so a failure at any point leaves `outDir` as it was.
 */
export function writeAtomically(outDir: string, owned: readonly string[], files: readonly OutputFile[]): void {
  const target = path.resolve(outDir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.staging-`));
  try {
    if (fs.existsSync(target)) {
      for (const entry of fs.readdirSync(target)) {
        if (!owned.includes(entry)) fs.cpSync(path.join(target, entry), path.join(staging, entry), { recursive: true });
      }
    }
    const made = new Set<string>();
    for (const file of files) {
      const dest = path.join(staging, ...file.path.split('/'));
      const dir = path.dirname(dest);
      if (!made.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      fs.writeFileSync(dest, file.content);
    }
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const old = `${staging.replace('.staging-', '.old-')}`;
  fs.renameSync(target, old);
  try {
    fs.renameSync(staging, target);
  } catch (e) {
    fs.renameSync(old, target);
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
