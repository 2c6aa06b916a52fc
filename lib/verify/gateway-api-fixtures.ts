import * as fs from 'fs';
import * as path from 'path';
import { loadAll } from 'js-yaml';

/** Where the Gateway API fixtures live, relative to the repository. */
export const GATEWAY_API_FIXTURES = 'test/fixtures/gateway-api';

/** One document of a fixture: the object, and the problems it must yield (`field: message`). */
export interface GatewayApiFixture {
  /** `file.yaml#3`: the file and the document's index in it (0-based). */
  readonly id: string;
  readonly object: Record<string, unknown>;
  /** Sorted `field: message` lines from the document's `# expect:` comments; empty for a valid object. */
  readonly expected: readonly string[];
}

/**
 * Every document of every fixture file, with the `# expect:` lines written above it. The same
 * list feeds the jest test (meshlab's checks) and verify's cross-check (the real CRDs), so both
 * judge the same objects.
 */
export function readGatewayApiFixtures(root: string): GatewayApiFixture[] {
  const dir = path.join(root, GATEWAY_API_FIXTURES);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    return text.split(/^---$/m).map((doc, i) => ({
      id: `${file}#${i}`,
      object: (loadAll(doc) as Array<Record<string, unknown>>)[0],
      expected: doc.split('\n').filter((l) => l.startsWith('# expect: ')).map((l) => l.slice('# expect: '.length).trim()).sort(),
    }));
  });
}
