import * as fs from 'fs';
import * as path from 'path';
import { load as parseYaml } from 'js-yaml';
import { MeshlabError } from '../errors';
import type { Located, ObjectRef } from './check';
import { headerDeletions } from './deletions';
import { CODES } from './codes';
import type { Finding, Manifest } from './manifest';

/** What `npm run check` read: the objects, and what could not be read as one. */
export interface Loaded {
  readonly objects: Located[];
  readonly findings: Finding[];
  readonly files: number;
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * What `npm run check` (and everything reading manifests through this loader) reads at
 * most, so that no input can take unbounded time or memory. Beyond a limit the run is
 * refused in one line (exit code 2).
 */
export const LIMITS = {
  /** Bytes of one file, or of standard input. */
  fileBytes: 16 * 1024 * 1024,
  /** Bytes of all input together. */
  totalBytes: 32 * 1024 * 1024,
  /** Files found in folders. */
  files: 10_000,
  /** Values (mappings, lists, scalars) of one document once its YAML aliases are expanded. */
  documentValues: 1_000_000,
  /** Values of all input together, aliases expanded. */
  totalValues: 3_000_000,
  /** Levels of nesting of one document. */
  depth: 100,
} as const;

const MIB = 1024 * 1024;
const STDIN = '-';

/** The manifest files under `p`: itself if a file (or `-`), else every YAML/JSON file below it, sorted. */
function filesOf(p: string): string[] {
  if (p === STDIN) return [p];
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (e) {
    throw new MeshlabError(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${(e as NodeJS.ErrnoException).code})`}`);
  }
  if (!stat.isDirectory()) return [p];
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new MeshlabError(`${dir}: cannot be read (${(e as NodeJS.ErrnoException).code})`);
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(full);
      } else if (EXTENSIONS.some((e) => entry.name.endsWith(e))) {
        out.push(full);
        if (out.length > LIMITS.files) throw new MeshlabError(`${p}: more than ${LIMITS.files} YAML and JSON files; check fewer at a time`);
      }
    }
  };
  walk(p);
  if (out.length === 0) throw new MeshlabError(`${p}: no *.yaml, *.yml or *.json file in this folder`);
  return out;
}

/**
 * Reads at most `limit` + 1 bytes from an open file, in chunks of `expected` + 1 bytes (a
 * regular file's size, so one read takes it all and the next finds its end) or 64 KiB. The
 * chunks are not zero-filled: only the bytes read are kept.
 */
function readUpTo(fd: number, limit: number, expected = 64 * 1024): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(expected + 1 - total, 64 * 1024), 1024 * 1024, limit + 1 - total));
    let n: number;
    try {
      n = fs.readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      // A non-blocking pipe with nothing in it yet: wait a little and read again.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw e;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > limit) break;
  }
  return Buffer.concat(chunks);
}

/**
 * The bytes of a file (or of standard input for `-`), refusing in one line what is not a
 * regular file (a FIFO, a device such as /dev/zero, a socket) and what is over the size limit.
 */
function readBounded(file: string, budget: Budget): Buffer {
  const limit = Math.min(LIMITS.fileBytes, budget.bytes);
  const tooBig = () => new MeshlabError(budget.bytes < LIMITS.fileBytes
    ? `${shown(file)}: the input is over ${LIMITS.totalBytes / MIB} MiB in all, the most meshlab reads at once; check fewer files at a time`
    : `${shown(file)}: over ${LIMITS.fileBytes / MIB} MiB, the most meshlab reads from one file`);
  let data: Buffer;
  let expected = 0;
  if (file === STDIN) {
    data = readUpTo(0, limit);
  } else {
    let fd: number;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile()) throw new MeshlabError(`${shown(file)}: not a regular file (${kindOf(stat)}); give YAML or JSON files or folders, or - for standard input`);
      if (stat.size > limit) throw tooBig();
      // O_NONBLOCK: a FIFO swapped in after the check above must not block the open.
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      expected = stat.size;
    } catch (e) {
      if (e instanceof MeshlabError) throw e;
      throw new MeshlabError(`${shown(file)}: cannot be read (${(e as NodeJS.ErrnoException).code})`);
    }
    try {
      if (!fs.fstatSync(fd).isFile()) throw new MeshlabError(`${shown(file)}: not a regular file; give YAML or JSON files or folders`);
      data = readUpTo(fd, limit, expected);
    } catch (e) {
      if (e instanceof MeshlabError) throw e;
      throw new MeshlabError(`${shown(file)}: cannot be read (${(e as NodeJS.ErrnoException).code})`);
    } finally {
      fs.closeSync(fd);
    }
  }
  if (data.length > limit) throw tooBig();
  budget.bytes -= data.length;
  return data;
}

function sizeOf(file: string): number {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat.size : 0;
  } catch {
    return 0;
  }
}

const kindOf = (stat: fs.Stats) => (stat.isFIFO() ? 'a FIFO' : stat.isCharacterDevice() ? 'a character device' : stat.isBlockDevice() ? 'a block device' : stat.isSocket() ? 'a socket' : 'not a file');

/** What is left to read: bytes, and values once aliases are expanded. */
interface Budget {
  bytes: number;
  values: number;
}

/**
 * Walks a parsed document without recursion, counting its values as they would be
 * traversed (a value reached through several YAML aliases counts each time), so what the
 * checks later walk is bounded. Returns why it is refused, or undefined.
 */
function measure(value: unknown, budget: Budget): 'values' | 'total' | 'depth' | undefined {
  let left = LIMITS.documentValues;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (--left < 0) return 'values';
    if (--budget.values < 0) return 'total';
    if (typeof v !== 'object' || v === null) continue;
    if (depth > LIMITS.depth) return 'depth';
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return undefined;
}

/** A path as the reader gave it: relative to the working folder, with `/`. */
export const shown = (file: string) => {
  const relative = path.isAbsolute(file) ? path.relative(process.cwd(), file) : file;
  return (relative === '' || relative.startsWith('..') ? file : relative).split(path.sep).join('/');
};

const notObject = (file: string, line: number | undefined, message: string): Finding =>
  ({ code: 'ML0010', severity: CODES.ML0010.severity, object: '(document)', field: '', message, file, line });

/** Objects of one parsed document: the object, or the items of a `List`. */
function objectsOf(value: unknown, file: string, line: number | undefined, out: Loaded, deletes: readonly ObjectRef[] = []): void {
  if (value === null || value === undefined) return;
  const m = value as Manifest & { items?: unknown[] };
  if (typeof value !== 'object' || Array.isArray(value) || typeof m.kind !== 'string' || typeof m.apiVersion !== 'string') {
    out.findings.push(notObject(file, line, 'is not a Kubernetes object (it needs apiVersion and kind)'));
    return;
  }
  if (m.kind.endsWith('List') && Array.isArray(m.items)) {
    for (const item of m.items) objectsOf(item, file, line, out, deletes);
    return;
  }
  if (typeof m.metadata !== 'object' || m.metadata === null || typeof m.metadata.name !== 'string') {
    out.findings.push({ ...notObject(file, line, 'has no metadata.name'), object: m.kind });
    return;
  }
  out.objects.push({ manifest: m, file, line, ...(deletes.length > 0 && { deletes }) });
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

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** One document's value, once it is known to be within the limits; or a finding. */
function checked(value: unknown, name: string, line: number, budget: Budget, out: Loaded): boolean {
  const problem = measure(value, budget);
  if (problem === 'values') {
    throw new MeshlabError(`${name}:${line}: the document expands to more than ${LIMITS.documentValues.toLocaleString('en')} values through YAML aliases, the most meshlab reads in one document`);
  }
  if (problem === 'total') {
    throw new MeshlabError(`${name}:${line}: the input holds more than ${LIMITS.totalValues.toLocaleString('en')} values (YAML aliases expanded), the most meshlab reads at once`);
  }
  if (problem === 'depth') {
    out.findings.push(notObject(name, line, `nests deeper than ${LIMITS.depth} levels, which no Kubernetes object does`));
    return false;
  }
  return true;
}

function loadFile(file: string, out: Loaded, budget: Budget): void {
  const name = file === STDIN ? '(stdin)' : shown(file);
  let text: string;
  try {
    text = UTF8.decode(readBounded(file, budget)).replace(/^\uFEFF/, '');
  } catch (e) {
    if (e instanceof MeshlabError) throw e;
    out.findings.push(notObject(name, undefined, 'is not UTF-8 text (a binary file?)'));
    return;
  }
  if (file.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      out.findings.push(notObject(name, undefined, `is not valid JSON: ${(e as Error).message}`));
      return;
    }
    if (checked(value, name, 1, budget, out)) objectsOf(value, name, 1, out);
    return;
  }
  const deletes = headerDeletions(text);
  for (const doc of documentsOf(text)) {
    let value: unknown;
    try {
      value = parseYaml(doc.text);
    } catch (e) {
      if (e instanceof RangeError) {
        out.findings.push(notObject(name, doc.line, `nests deeper than the YAML parser can follow (the limit is ${LIMITS.depth} levels)`));
        continue;
      }
      const { reason, mark } = e as { reason?: string; mark?: { line: number } };
      const line = mark ? doc.firstLine + mark.line : doc.line;
      out.findings.push(notObject(name, line, `is not valid YAML: ${reason ?? (e as Error).message.split('\n')[0]}`));
      continue;
    }
    if (checked(value, name, doc.line, budget, out)) objectsOf(value, name, doc.line, out, deletes);
  }
}

/**
 * Reads every Kubernetes object in `paths` (files, folders searched for *.yaml, *.yml and
 * *.json, or `-` for standard input), each with its file and line, within LIMITS.
 * Unreadable documents (not YAML, not UTF-8, nested too deeply) become findings; a path
 * that does not exist, a folder with no YAML, a file that is not a regular file and input
 * over a limit are usage errors (MeshlabError).
 */
export function loadManifests(paths: readonly string[]): Loaded {
  const files = [...new Set(paths.flatMap(filesOf))];
  const out: Loaded = { objects: [], findings: [], files: files.length };
  const budget: Budget = { bytes: LIMITS.totalBytes, values: LIMITS.totalValues };
  // Sizes first, so input over the total limit is refused before any of it is read.
  let total = 0;
  for (const file of files) {
    total += file === STDIN ? 0 : sizeOf(file);
    if (total > LIMITS.totalBytes) throw new MeshlabError(`${shown(file)}: the input is over ${LIMITS.totalBytes / MIB} MiB in all, the most meshlab reads at once; check fewer files at a time`);
  }
  for (const file of files) loadFile(file, out, budget);
  return out;
}
