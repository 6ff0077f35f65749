/**
 * The Lambda bundles the package ships (dist/bundles, made by `npm run build`) are exactly what
 * esbuild makes from the sources now: a stale bundle would deploy code the tests never ran.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { BUNDLES, bundleDir } from '../../lib/build/artifacts';
import { buildBundle } from '../../scripts/build-assets';

const out = mkdtempSync(path.join(tmpdir(), 'bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test.each(BUNDLES)('the shipped %s bundle equals a fresh build (else: npm run build)', async (name) => {
  const fresh = await buildBundle(name, path.join(out, name));
  const shipped = path.join(bundleDir(name), 'index.js');
  // compare hashes' worth of text without printing megabytes on failure
  expect(readFileSync(shipped).equals(readFileSync(fresh))).toBe(true);
});

test('bundles are minified and carry no source maps', () => {
  for (const name of BUNDLES) {
    const code = readFileSync(path.join(bundleDir(name), 'index.js'), 'utf8');
    expect(code).not.toMatch(/sourceMappingURL/);
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(1000); // minified: long lines (template literals keep their newlines)
  }
});
