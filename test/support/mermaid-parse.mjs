// Parses every ```mermaid block of the given Markdown files with Mermaid's own parser (in a
// jsdom window, since Mermaid expects a browser). Prints a JSON list of
// { file, block, error? } and exits 0; the test decides what is wrong.
import fs from 'fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
Object.defineProperty(globalThis, 'navigator', { value: dom.window.navigator, configurable: true });
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;

const mermaid = (await import('mermaid')).default;
mermaid.initialize({ startOnLoad: false });

const results = [];
for (const file of process.argv.slice(2)) {
  const blocks = [...fs.readFileSync(file, 'utf8').matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const [block, text] of blocks.entries()) {
    try {
      await mermaid.parse(text);
      results.push({ file, block });
    } catch (e) {
      results.push({ file, block, error: String(e?.message ?? e).split('\n')[0] });
    }
  }
}
process.stdout.write(JSON.stringify(results));
