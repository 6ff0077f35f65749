/**
 * The CLI as an unlucky operator and an attacker use it: --set values kept out of the history,
 * values redacted from every error, killed and interrupted runs, unlock of live and dead owners.
 * Real `helm-sfn` processes against the simulated cluster.
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret } from '../../lib/core/release-record';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { configMap, docs, hook, writeChart } from '../support/charts';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'helm-sfn.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.02 });
});
afterAll(() => sim.stop());

const env = () => ({ ...process.env, KUBECONFIG: sim.kubeconfigPath });

async function cli(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, env: env() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A CLI process left running; `done` resolves with its exit code (or the signal that ended it). */
function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: env() });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

const records = (release: string, namespace = 'default') =>
  (sim.list('v1', 'Secret', namespace) as KubeObject[])
    .filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === release)
    .map((s) => releaseFromSecret(s as never))
    .sort((a, b) => a.version - b.version);
const history = (release: string) => records(release).map((r) => `${r.version}:${r.info.status}`);

/** Waits (without a deadline of its own: jest's test timeout bounds it) until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setTimeout(r, 50));
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'cli-reliability-'));

describe('--set values never enter the history, and errors never quote a value', () => {
  const chart = writeChart({
    name: 'vault',
    values: 'secret: ""\npin: "0"\nlabel: ok\nitems: []\n',
    templates: {
      'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: vault
  labels:
    tier: {{ .Values.label | quote }}
data:
  secret: {{ .Values.secret | quote }}
  items: {{ toJson .Values.items | quote }}
`,
    },
  });
  writeFileSync(path.join(chart, 'values.schema.json'), JSON.stringify({ type: 'object', properties: { pin: { type: 'string', pattern: '^[0-9]+$' } } }));
  const dir = tmp();
  const valuesFile = path.join(dir, 'values.yaml');
  writeFileSync(valuesFile, 'items: [a, b, c]\n');
  const historyFile = path.join(dir, 'history.json');

  test('install --set: applied with Helm --set meaning, absent from the history, the output and the record description', async () => {
    const run = await cli(['install', 'vault', chart, '-n', 'default', '-f', valuesFile, '--set', 'secret=MARKER-one', '--set', 'items[1]=X', '--history-file', historyFile, '-o', 'json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const data = (sim.get('v1', 'ConfigMap', 'default', 'vault') as KubeObject).data as Record<string, string>;
    expect(data.secret).toBe('MARKER-one');
    expect(JSON.parse(data.items)).toEqual(['a', 'X', 'c']); // --set indexes into the list the values file built, as helm does
    const recorded = readFileSync(historyFile, 'utf8');
    expect(JSON.parse(recorded).events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['ExecutionStarted', 'LambdaFunctionScheduled', 'ExecutionSucceeded']));
    // the record keeps it in `config`, in the cluster, as Helm does; its description never
    for (const text of [recorded, run.stdout, run.stderr, JSON.stringify(records('vault').map((r) => r.info))]) expect(text).not.toContain('MARKER-one');
    // the input named a private file, gone once the run ended
    const input = JSON.parse(JSON.parse(recorded).events[0].executionStartedEventDetails.input);
    expect(input.set).toBeUndefined();
    expect(input.setFrom).toHaveLength(1);
    expect(existsSync(input.setFrom[0])).toBe(false);
  });

  test('a value breaking values.schema.json: the error says where and which rule, the value is <redacted>', async () => {
    const run = await cli(['upgrade', 'vault', chart, '-n', 'default', '--reuse-values', '--set', 'pin=MARKER-two', '--history-file', historyFile]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Error: ChartRenderFailed: .*at '\/pin': <redacted> does not match pattern/s);
    for (const text of [run.stdout, run.stderr, readFileSync(historyFile, 'utf8')]) expect(text).not.toContain('MARKER-two');
  });

  test('a value the API server refuses (422): cause, history and the description `status` prints are redacted', async () => {
    const run = await cli(['upgrade', 'vault', chart, '-n', 'default', '--reuse-values', '--set', 'label=MARKER-three!', '--history-file', historyFile]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Error: ApplyFailed: .*metadata\.labels: Invalid value: <redacted>: a valid label/);
    const status = await cli(['status', 'vault', '-n', 'default', '-o', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'failed', description: expect.stringContaining('Invalid value: <redacted>') });
    for (const text of [run.stdout, run.stderr, status.stdout, readFileSync(historyFile, 'utf8'), JSON.stringify(records('vault').map((r) => r.info))]) {
      expect(text).not.toContain('MARKER-three');
    }
  });
});

describe('killed and interrupted runs', () => {
  const chart = writeChart({
    name: 'slow',
    templates: {
      'all.yaml': docs(configMap('slow-app'), hook({ name: 'slow-backup', events: 'pre-upgrade,pre-rollback', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'sleep 400; echo done' })),
    },
  });

  test('after SIGKILL of a local run, plain unlock frees the release; unlock of a live run is refused, even with --force', async () => {
    expect((await cli(['install', 'slow', chart, '-n', 'default'])).code).toBe(0);

    const live = start(['upgrade', 'slow', chart, '-n', 'default']);
    await until(() => history('slow').includes('2:pending-upgrade'));
    const refused = await cli(['unlock', 'slow', '-n', 'default', '--force']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: ReleaseLocked: revision 2 is held by execution .*, which is still running \(--steal/);

    live.child.kill('SIGKILL');
    expect((await live.done).signal).toBe('SIGKILL');
    expect(history('slow')).toEqual(['1:deployed', '2:pending-upgrade']);
    const unlocked = await cli(['unlock', 'slow', '-n', 'default']);
    expect(unlocked.stderr).toBe('');
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toMatch(/revision 2 was pending-upgrade; it is now failed/);
    expect(history('slow')).toEqual(['1:deployed', '2:failed']);
  });

  test('SIGTERM: the CLI stops its own execution and frees its lock (failed, not pending), exit 143', async () => {
    const live = start(['rollback', 'slow', '1', '-n', 'default']);
    await until(() => history('slow').some((h) => h.endsWith(':pending-rollback')));
    live.child.kill('SIGTERM');
    const ended = await live.done;

    expect(ended.code).toBe(143);
    expect(ended.stderr).toMatch(/SIGTERM: stopping the execution/);
    expect(history('slow').at(-1)).toMatch(/^\d+:failed$/);
    expect((await cli(['upgrade', 'slow', chart, '-n', 'default', '--no-hooks'])).code).toBe(0);
  });
});

describe('bad input: one line naming the problem', () => {
  test('--kubeconfig that does not exist', async () => {
    const run = await cli(['uninstall', 'x', '-n', 'default', '--kubeconfig', '/nonexistent']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Error: InvalidInput: --kubeconfig /nonexistent: no such file\n');
  });

  test.each([['48h'], ['1500ms']])('--timeout %s, as helm takes it', async (timeout) => {
    const chart = writeChart({ templates: { 'cm.yaml': configMap(`timeout-${timeout}`) } });
    const run = await cli(['install', `t${timeout}`, chart, '-n', 'default', '--timeout', timeout]);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
  });
});
