/**
 * The dependency rules of docs/architecture.md#dependency-rules, checked on the source text: lib/core is pure (only
 * lib/core, yaml, zod and zlib), only lib/kube imports @kubernetes/client-node, nothing imports test/.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const SCANNED = ['lib', 'bin', 'lambdas', 'bench'];
const CORE = path.join(ROOT, 'lib', 'core');
const KUBE = path.join(ROOT, 'lib', 'kube');
const TEST = path.join(ROOT, 'test');
const CORE_PACKAGES = /^(?:yaml|zod)(?:\/|$)|^(?:node:)?zlib$/;
const CLIENT_NODE = /^@kubernetes\/client-node(?:\/|$)/;

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return /\.(?:[cm]?[jt]s|tsx)$/.test(entry.name) ? [full] : [];
  });
}

/** Blanks comments, keeping strings (a quote left open ends at the line's end, so a stray quote in a regex costs one line). */
function withoutComments(source: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\') {
        out += c + (source[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === quote || (c === '\n' && quote !== '`')) quote = undefined;
      out += c;
    } else if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 1;
      out += ' ';
    } else {
      if (c === '"' || c === "'" || c === '`') quote = c;
      out += c;
    }
  }
  return out;
}

const SPECIFIER =
  /\b(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"\n]+)['"]|\brequire\s*\(\s*['"]([^'"\n]+)['"]\s*\)|\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

function importsOf(source: string): string[] {
  return [...withoutComments(source).matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3]);
}

const inside = (dir: string, file: string) => file === dir || file.startsWith(dir + path.sep);

function offences(file: string, specifier: string): string[] {
  const resolved = specifier.startsWith('.') ? path.resolve(path.dirname(file), specifier) : undefined;
  const found: string[] = [];
  if (inside(CORE, file) && !(resolved ? inside(CORE, resolved) : CORE_PACKAGES.test(specifier))) {
    found.push('lib/core may import only lib/core, yaml, zod and zlib');
  }
  if (CLIENT_NODE.test(specifier) && !inside(KUBE, file)) found.push('only lib/kube may import @kubernetes/client-node');
  if (resolved && inside(TEST, resolved)) found.push('nothing outside test/ may import test/');
  return found;
}

describe('importsOf (the scanner)', () => {
  it('finds every import form and ignores comments (import text inside a string counts too: rare, and a false alarm is visible)', () => {
    const source = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "import * as c from \"c\";",
      "import 'd';",
      "import {\n  e1,\n  e2,\n} from 'e';",
      "export { f } from 'f';",
      "export * from 'g';",
      "const h = require('h');",
      "const i = await import('i');",
      "import j = require('j');",
      "// import x from 'commented';",
      "/* require('blocked') */",
      "const s = 'import y from \"in-a-string\"'; const url = 'https://example.com'; import k from 'k';",
      "const re = /['\"]/; // a stray quote ends with the line",
      "import l from 'l';",
    ].join('\n');
    expect(importsOf(source)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'in-a-string', 'k', 'l']);
  });
});

describe('dependency direction (docs/architecture.md#dependency-rules)', () => {
  const files = SCANNED.flatMap((dir) => sourceFiles(path.join(ROOT, dir)));

  it('scans the sources', () => {
    expect(files).toContain(path.join(CORE, 'plan.ts'));
  });

  it('has no offending import', () => {
    const found = files.flatMap((file) =>
      importsOf(fs.readFileSync(file, 'utf8')).flatMap((specifier) =>
        offences(file, specifier).map((rule) => `${path.relative(ROOT, file)}:${specifier} — ${rule}`),
      ),
    );
    expect(found).toEqual([]);
  });

  it.each([
    ['lib/core/x.ts', 'fs', ['lib/core may import only lib/core, yaml, zod and zlib']],
    ['lib/core/x.ts', '../kube/client', ['lib/core may import only lib/core, yaml, zod and zlib']],
    ['lib/core/x.ts', '@kubernetes/client-node', ['lib/core may import only lib/core, yaml, zod and zlib', 'only lib/kube may import @kubernetes/client-node']],
    ['lib/core/x.ts', './hooks', []],
    ['lib/core/x.ts', 'node:zlib', []],
    ['lib/core/x.ts', 'yaml', []],
    ['lib/engine/x.ts', '@kubernetes/client-node', ['only lib/kube may import @kubernetes/client-node']],
    ['lib/kube/x.ts', '@kubernetes/client-node', []],
    ['lib/engine/x.ts', '../../test/support/sim', ['nothing outside test/ may import test/']],
    ['lib/engine/x.ts', 'fs', []],
  ])('%s importing %s breaks %j', (file, specifier, rules) => {
    expect(offences(path.join(ROOT, file), specifier)).toEqual(rules);
  });
});
