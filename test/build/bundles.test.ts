/**
 * The bundles the package ships (the Lambda code under dist/bundles and the CLI's
 * dist/bin/helm-sfn.js, made by `npm run build`) are exactly what esbuild makes from the sources
 * now: a stale bundle would deploy or run code the tests never ran.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { BUNDLES, bundleDir, cliBundleFile } from '../../lib/build/artifacts';
import { buildBundle, buildCliBundle } from '../../scripts/build-assets';

const out = mkdtempSync(path.join(tmpdir(), 'bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test.each(BUNDLES)('the shipped %s bundle equals a fresh build (else: npm run build)', async (name) => {
  const fresh = await buildBundle(name, path.join(out, name));
  const shipped = path.join(bundleDir(name), 'index.js');
  // compare hashes' worth of text without printing megabytes on failure
  expect(readFileSync(shipped).equals(readFileSync(fresh))).toBe(true);
});

test('the shipped CLI bundle equals a fresh build (else: npm run build)', async () => {
  const fresh = await buildCliBundle(path.join(out, 'cli', 'helm-sfn.js'));
  expect(readFileSync(cliBundleFile()).equals(readFileSync(fresh))).toBe(true);
});

test('bundles are minified and carry no source maps', () => {
  for (const file of [...BUNDLES.map((name) => path.join(bundleDir(name), 'index.js')), cliBundleFile()]) {
    const code = readFileSync(file, 'utf8');
    expect(code).not.toMatch(/sourceMappingURL/);
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(1000); // minified: long lines (template literals keep their newlines)
  }
});
