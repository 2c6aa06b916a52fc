import * as fs from 'fs';
import * as path from 'path';
import { load as parseYaml } from 'js-yaml';
import { MeshlabError } from '../errors';
import type { Located } from './check';
import { CODES } from './codes';
import type { Finding, Manifest } from './manifest';

/** What `npm run check` read: the objects, and what could not be read as one. */
export interface Loaded {
  readonly objects: Located[];
  readonly findings: Finding[];
  readonly files: number;
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** The manifest files under `p`: itself if a file, else every YAML/JSON file below it, sorted. */
function filesOf(p: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new MeshlabError(`${p}: no such file or folder`);
  }
  if (!stat.isDirectory()) return [p];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(full);
      } else if (EXTENSIONS.some((e) => entry.name.endsWith(e))) {
        out.push(full);
      }
    }
  };
  walk(p);
  return out;
}

/** A path as the reader gave it: relative to the working folder, with `/`. */
const shown = (file: string) => (path.isAbsolute(file) ? path.relative(process.cwd(), file) || file : file).split(path.sep).join('/');

const notObject = (file: string, line: number | undefined, message: string): Finding =>
  ({ code: 'ML0010', severity: CODES.ML0010.severity, object: '(document)', field: '', message, file, line });

/** Objects of one parsed document: the object, or the items of a `List`. */
function objectsOf(value: unknown, file: string, line: number | undefined, out: Loaded): void {
  if (value === null || value === undefined) return;
  const m = value as Manifest & { items?: unknown[] };
  if (typeof value !== 'object' || Array.isArray(value) || typeof m.kind !== 'string' || typeof m.apiVersion !== 'string') {
    out.findings.push(notObject(file, line, 'is not a Kubernetes object (it needs apiVersion and kind)'));
    return;
  }
  if (m.kind.endsWith('List') && Array.isArray(m.items)) {
    for (const item of m.items) objectsOf(item, file, line, out);
    return;
  }
  if (typeof m.metadata !== 'object' || m.metadata === null || typeof m.metadata.name !== 'string') {
    out.findings.push({ ...notObject(file, line, 'has no metadata.name'), object: m.kind });
    return;
  }
  out.objects.push({ manifest: m, file, line });
}

/**
 * The YAML documents of a file, each with the line its content starts on (`line`) and the
 * file line of its own first line (`firstLine`, for errors). A `---` (or `...`) line at
 * column 0 always ends a document, even inside a block scalar, so splitting on those lines
 * is exact, and lets each document be parsed on its own (a fast parser without positions).
 */
function documentsOf(text: string): Array<{ readonly text: string; readonly line: number; readonly firstLine: number }> {
  const docs: Array<{ text: string; line: number; firstLine: number }> = [];
  const lines = text.split('\n');
  let start = 0;
  const flush = (end: number) => {
    const body = lines.slice(start, end);
    const first = body.findIndex((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('%'));
    if (first >= 0) docs.push({ text: body.join('\n'), line: start + first + 1, firstLine: start + 1 });
  };
  lines.forEach((l, i) => {
    if (/^(---|\.\.\.)(\s|$)/.test(l)) {
      flush(i);
      // Content may follow the marker on its line (`--- {}`): keep it in the next document.
      lines[i] = l.startsWith('---') ? l.slice(3) : '';
      start = i;
    }
  });
  flush(lines.length);
  return docs;
}

function loadFile(file: string, out: Loaded): void {
  const name = shown(file);
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    try {
      objectsOf(JSON.parse(text), name, 1, out);
    } catch (e) {
      out.findings.push(notObject(name, undefined, `is not valid JSON: ${(e as Error).message}`));
    }
    return;
  }
  for (const doc of documentsOf(text)) {
    let value: unknown;
    try {
      value = parseYaml(doc.text);
    } catch (e) {
      const { reason, mark } = e as { reason?: string; mark?: { line: number } };
      const line = mark ? doc.firstLine + mark.line : doc.line;
      out.findings.push(notObject(name, line, `is not valid YAML: ${reason ?? (e as Error).message.split('\n')[0]}`));
      continue;
    }
    objectsOf(value, name, doc.line, out);
  }
}

/**
 * Reads every Kubernetes object in `paths` (files, or folders searched for *.yaml, *.yml
 * and *.json), each with its file and line. Unreadable documents become findings; a path
 * that does not exist is a usage error.
 */
export function loadManifests(paths: readonly string[]): Loaded {
  const files = [...new Set(paths.flatMap(filesOf))];
  const out: Loaded = { objects: [], findings: [], files: files.length };
  for (const file of files) loadFile(file, out);
  return out;
}
