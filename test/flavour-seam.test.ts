import * as path from 'path';
import * as ts from 'typescript';

/**
 * The flavour is one object (lib/mesh/flavour.ts): code asks it, never compares its names.
 * Read with TypeScript's checker, so a comparison is found by what it compares: a string
 * literal that names a flavour, an API or a mode, against a value whose type is a set of such
 * literals (`lab.flavour.api === 'gateway-api'`, `case 'ambient':`). A label read from a
 * manifest (`labels['istio.io/dataplane-mode'] === 'ambient'`) is a plain string, and is not one.
 */
const root = path.resolve(__dirname, '..');
const FLAVOUR_WORDS = new Set(['classic', 'gateway-api', 'ambient', 'istio', 'sidecar']);
/** The flavour module, and the renderers it leaves each API to. */
const ALLOWED = [/^lib\/mesh\/flavour\.ts$/, /^lib\/render\//];

const EQUALITY = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);

/** Whether `type` is made only of string literals, one of them `word`: a flavour's name, API or mode. */
function namesFlavours(type: ts.Type, word: string): boolean {
  const parts = type.isUnion() ? type.types : [type];
  return parts.every((t) => t.isStringLiteral()) && parts.some((t) => (t as ts.StringLiteralType).value === word);
}

/** Each comparison of a flavour word in `files` (file:line and the code), outside ALLOWED. */
function flavourComparisons(program: ts.Program, files: readonly string[]): string[] {
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const where = (n: ts.Node) => `${path.relative(root, file)}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText().slice(0, 100)}`;
    const compared = (literal: ts.Node, other: ts.Node) => ts.isStringLiteralLike(literal) && FLAVOUR_WORDS.has(literal.text)
      && namesFlavours(checker.getTypeAtLocation(other), literal.text);
    const visit = (n: ts.Node): void => {
      if (ts.isBinaryExpression(n) && EQUALITY.has(n.operatorToken.kind) && (compared(n.left, n.right) || compared(n.right, n.left))) found.push(where(n));
      if (ts.isCaseClause(n) && compared(n.expression, (n.parent.parent as ts.SwitchStatement).expression)) found.push(where(n));
      ts.forEachChild(n, visit);
    };
    visit(source);
  }
  return found;
}

const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, root);
const product = config.fileNames.filter((f) => /^(main\.ts|lib\/|scripts\/)/.test(path.relative(root, f)));

describe('no code outside the flavour module and the renderers compares flavour names', () => {
  test('lib/, main.ts and scripts/', () => {
    const program = ts.createProgram(product, config.options);
    const outside = product.filter((f) => !ALLOWED.some((a) => a.test(path.relative(root, f))));
    expect(flavourComparisons(program, outside)).toEqual([]);
  });

  test('the check finds a comparison of a flavour name, an API or a mode, and leaves a label value alone', () => {
    const probe = path.join(root, 'lib', 'probe-flavour-seam.ts');
    const text = [
      "import { Flavour } from './mesh/flavour';",
      "export const a = (f: Flavour) => f.mode === 'ambient';",
      "export const b = (f: Flavour) => 'gateway-api' !== f.api;",
      "export const c = (f: Flavour) => { switch (f.name) { case 'classic': return 1; default: return 0; } };",
      "export const d = (labels: Record<string, string>) => labels['istio.io/dataplane-mode'] === 'ambient';",
      "export const e = (f: Flavour) => f === Flavour.AMBIENT;",
    ].join('\n');
    const host = ts.createCompilerHost(config.options);
    const read = host.readFile.bind(host);
    host.readFile = (f) => (f === probe ? text : read(f));
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => f === probe || exists(f);
    const program = ts.createProgram([probe], config.options, host);
    expect(flavourComparisons(program, [probe]).map((l) => l.replace(/^.*?:(\d+):.*$/, '$1'))).toEqual(['2', '3', '4']);
  });
});
