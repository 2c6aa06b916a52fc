/**
 * A guide read as verify:cluster follows it: the commands of its Start section, and per step
 * the commands that apply and show it and those that revert it. Each command is a line of a
 * ```sh block (continuation lines joined), split into words as a shell would.
 */
export interface GuideCommands {
  readonly start: readonly string[][];
  readonly steps: ReadonlyArray<{ readonly name: string; readonly apply: readonly string[][]; readonly revert: readonly string[][] }>;
}

/** The lines of a text's ```sh blocks, a trailing backslash joining a line to the next, comments dropped. */
export function shellLines(text: string): string[] {
  const lines: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let pending = '';
    for (const raw of block[1].split('\n')) {
      const line = pending + raw;
      if (/\\$/.test(line)) {
        pending = `${line.slice(0, -1)} `;
        continue;
      }
      pending = '';
      if (line.trim() !== '' && !line.trim().startsWith('#')) lines.push(line.trim());
    }
  }
  return lines;
}

/**
 * The words of a command line as sh splits them: quotes ('...' literally, "..." with \\ escapes),
 * backslash escapes, and a comment from an unquoted `#` at the start of a word. Operators
 * (`|`, `&&`, `;`, `>`) are words of their own, so a caller can see a pipeline.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        text += line[j++];
      }
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if ('|;&<>'.includes(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      const op = /^(\|\||&&|>>|&>|[|;&<>])/.exec(line.slice(i))![1];
      words.push(op);
      i += op.length - 1;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** A guide's Start commands, and each step's apply and revert commands. */
export function readGuide(guide: string): GuideCommands {
  const [top, steps = ''] = guide.split('\n## Steps\n');
  const start = shellLines(top.split('\n## Traffic')[0]).map(shellWords);
  return {
    start,
    steps: steps.split('\n### ').slice(1).map((section) => {
      const name = section.slice(0, section.indexOf('\n')).trim();
      const at = section.indexOf('\nRevert:\n');
      const before = at < 0 ? section : section.slice(0, at);
      const after = at < 0 ? '' : section.slice(at);
      return { name, apply: shellLines(before).map(shellWords), revert: shellLines(after).map(shellWords) };
    }),
  };
}
