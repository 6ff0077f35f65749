import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { parseAllDocuments } from 'yaml';
import { binaries } from '../../lib/helm/binaries';
import { renderChart } from '../../lib/helm/template';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples', 'charts');
const run = promisify(execFile);

interface Doc {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { template?: { spec?: PodSpec } } & PodSpec;
}
interface PodSpec {
  containers?: { image: string; command?: string[] }[];
}

async function render(chart: string, extra: Partial<Parameters<typeof renderChart>[0]> = {}): Promise<Doc[]> {
  const { manifest } = await renderChart({ release: 'site', namespace: 'web', chart: path.join(EXAMPLES, chart), ...extra });
  return parseAllDocuments(manifest).map((d) => d.toJS() as Doc).filter(Boolean);
}

const hooks = (docs: Doc[]) => docs.filter((d) => d.metadata.annotations?.['helm.sh/hook'] !== undefined);
const byName = (docs: Doc[], name: string) => docs.find((d) => d.metadata.name === name)!;
/** The Job or Pod of that name (a hook ServiceAccount may share it). */
const runnable = (docs: Doc[], name: string) => docs.find((d) => d.metadata.name === name && (d.kind === 'Job' || d.kind === 'Pod'))!;
const containerOf = (d: Doc) => (d.spec?.template?.spec ?? d.spec)!.containers![0];
const script = (d: Doc) => containerOf(d).command![2];

/** What the simulated cluster can run: sleep, echo, exit, true, false, `;`, `&&`, newlines. */
const SIM_SHELL_LINE = /^(sleep \d+(\.\d+)?|echo( [^'"$`|<>&;()\\*]+)?|exit \d+|true|false)$/;

describe.each(['wordpress', 'nginx'])('examples/charts/%s', (chart) => {
  it('passes helm lint --strict with no warnings', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-'));
    try {
      const { stdout } = await run(binaries().helm, ['lint', '--strict', path.join(EXAMPLES, chart)], { env: { HOME: home, PATH: process.env.PATH } });
      expect(stdout).toContain('0 chart(s) failed');
      expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('gives every hook container busybox and a script the simulated cluster runs', async () => {
    for (const hook of hooks(await render(chart))) {
      if (!['Job', 'Pod'].includes(hook.kind)) continue;
      const c = containerOf(hook);
      expect(c.image).toBe('busybox:1.36');
      expect(c.command?.slice(0, 2)).toEqual(['sh', '-c']);
      for (const line of script(hook).trim().split('\n')) expect(line).toMatch(SIM_SHELL_LINE);
    }
  });
});

describe('wordpress', () => {
  it('renders the web and database tiers and every hook with its weight and delete policy', async () => {
    const docs = await render('wordpress');
    const summary = (d: Doc) => [d.kind, d.metadata.name, d.metadata.annotations?.['helm.sh/hook'] ?? '', d.metadata.annotations?.['helm.sh/hook-weight'] ?? '', d.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? ''];
    expect(docs.map(summary)).toEqual([
      ['ServiceAccount', 'site-wordpress', '', '', ''],
      ['Secret', 'site-db', '', '', ''],
      ['PersistentVolumeClaim', 'site-content', '', '', ''],
      ['Service', 'site-db', '', '', ''],
      ['Service', 'site-web', '', '', ''],
      ['Deployment', 'site-web', '', '', ''],
      ['StatefulSet', 'site-db', '', '', ''],
      ['ServiceAccount', 'site-backup', 'pre-install,pre-upgrade', '-10', 'before-hook-creation,hook-succeeded'],
      ['ConfigMap', 'site-backup-script', 'pre-install,pre-upgrade', '-10', 'before-hook-creation,hook-succeeded'],
      ['Pod', 'site-test-connection', 'test', '', 'before-hook-creation,hook-succeeded'],
      ['Job', 'site-backup', 'pre-install,pre-upgrade', '-5', 'before-hook-creation,hook-succeeded'],
      ['Job', 'site-final-backup', 'pre-delete', '', 'hook-succeeded,hook-failed'],
      ['Job', 'site-restore', 'post-rollback', '', 'before-hook-creation,hook-succeeded'],
      ['Job', 'site-smoke-test', 'post-upgrade', '', 'before-hook-creation,hook-succeeded'],
    ]);
    expect(byName(docs, 'site-db').metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(byName(docs, 'site-content').metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(byName(docs, 'site-smoke-test').metadata.annotations?.['helm.sh/hook-output-log-policy']).toBe('hook-failed');
  });

  it('breaks the smoke test (and the other hooks) by a value, saying why', async () => {
    const docs = await render('wordpress', {
      isUpgrade: true,
      set: ['smokeTest.fail=true', 'smokeTest.durationSeconds=0.1', 'backup.timeout=10m'],
    });
    expect(script(runnable(docs, 'site-smoke-test'))).toBe(
      'echo smoke test of http://site-web:80/ after upgrade to wordpress 6.6-apache\nsleep 0.1\necho smoke test failed because smokeTest.fail is true\nexit 1\n',
    );
    expect(script(runnable(docs, 'site-backup'))).toBe('echo backup of database wordpress before upgrade of site\nsleep 0.5\necho backup succeeded\n');
    expect(runnable(docs, 'site-backup').metadata.annotations?.['helm-sfn.io/hook-timeout']).toBe('10m');

    for (const [value, hook] of [['backup.fail', 'site-backup'], ['finalBackup.fail', 'site-final-backup'], ['test.fail', 'site-test-connection']]) {
      const broken = await render('wordpress', { set: [`${value}=true`] });
      expect(script(runnable(broken, hook))).toMatch(new RegExp(`failed because ${value.replace('.', '\\.')} is true\nexit 1\n$`));
    }
  });

  it('rejects values that break its schema, naming the field', async () => {
    await expect(render('wordpress', { set: ['smokeTest.fail=maybe'] })).rejects.toThrow(/smokeTest\/fail/);
  });
});

describe('nginx (the seed text)', () => {
  it('renders a Deployment, a Service and the post-install hook Job at weight -5, deleted on success', async () => {
    const docs = await render('nginx');
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Service/site-nginx', 'Deployment/site-nginx', 'Job/site-nginx']);
    expect(runnable(docs, 'site-nginx').metadata.annotations).toEqual({
      'helm.sh/hook': 'post-install',
      'helm.sh/hook-weight': '-5',
      'helm.sh/hook-delete-policy': 'hook-succeeded',
    });
  });
});
