/** Which helm renders: --helm-binary, HELM_BIN, the bundled one where it runs, else PATH; too old is refused. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { binaries, cacheDir, helm3Binaries } from '../../lib/helm/binaries';
import { compareVersions, findHelm } from '../../lib/helm/helm-binary';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A stand-in for a helm release we do not ship: prints its version as `helm version --template` does. */
function fakeHelm(version: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'helm-bin-'));
  dirs.push(dir);
  const file = path.join(dir, 'helm');
  writeFileSync(file, `#!/bin/sh\nprintf '%s' '${version}'\n`);
  chmodSync(file, 0o755);
  return file;
}

test('the flag, then HELM_BIN, then the bundled helm on linux x64, then helm on PATH elsewhere', async () => {
  const helm3 = helm3Binaries().helm;
  expect(await findHelm({ flag: helm3, env: { HELM_BIN: binaries().helm } })).toEqual({ path: helm3, version: 'v3.17.3', serverSideFlag: false });
  expect(await findHelm({ env: { HELM_BIN: helm3 } })).toMatchObject({ path: helm3, serverSideFlag: false });
  expect(await findHelm({ env: {}, platform: 'linux', arch: 'x64' })).toEqual({ path: binaries().helm, version: 'v4.1.4', serverSideFlag: true });
  const onPath = fakeHelm('v3.14.2');
  expect(await findHelm({ env: { PATH: `/nonexistent${path.delimiter}${path.dirname(onPath)}` }, platform: 'darwin', arch: 'arm64' })).toEqual({ path: onPath, version: 'v3.14.2', serverSideFlag: false });
  await expect(findHelm({ env: { PATH: '/nonexistent' }, platform: 'darwin', arch: 'arm64' })).rejects.toThrow(/^no helm: the bundled helm is linux-amd64 only; put helm ≥ 3.13.0 on PATH/);
});

test('a helm older than 3.13, or not a helm at all, is refused in one line naming where it came from', async () => {
  await expect(findHelm({ flag: fakeHelm('v3.12.3') })).rejects.toThrow(/^--helm-binary: \S+ is helm v3\.12\.3/);
  await expect(findHelm({ env: { HELM_BIN: fakeHelm('v3.12.3') } })).rejects.toThrow(/^HELM_BIN: \S+ is helm v3\.12\.3; helm-sfn needs helm ≥ 3\.13\.0 \(for --dry-run=server\)$/);
  await expect(findHelm({ env: { HELM_BIN: '/bin/true' } })).rejects.toThrow(/^HELM_BIN: cannot run \/bin\/true as helm: printed "" as its version$/);
  expect([compareVersions('v3.13.0', '3.13.0'), compareVersions('v4.0.0-rc.1', '4.0.0'), compareVersions('3.9.9', '3.13.0')]).toEqual([0, 0, -1]);
});

test('the bundled binaries are unpacked into the user cache, never the package', () => {
  expect(cacheDir({ HELM_SFN_CACHE_DIR: 'rel/dir' })).toBe(path.resolve('rel/dir'));
  expect(cacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/helm-sfn');
  expect(cacheDir({})).toMatch(/\/\.cache\/helm-sfn$/);
});
