/**
 * `npm run soak -- --runs N --fault-rate P [--kill-rate K] [--concurrency C] [--seed S] [--json] [--out FILE]`
 *
 * Random release lifecycles on the simulated cluster while a share P of the API requests fail
 * (500, 429, dropped connection): install --wait, upgrades, failing upgrades with and without
 * atomic, rollbacks, tests, concurrent operations, uninstall — and, with a share K of the steps,
 * a CLI process killed with SIGKILL mid-run, then `helm-sfn unlock`. After every step it checks
 * that the outcome is the one a fault-free run has, that no record is left pending or claimed,
 * that no hook its delete policy should have removed is left, that the history is complete and
 * reads the same through the real helm, and that the release owns no object its records do not
 * name. One JSON summary; exit 1 on any violation.
 */
import { execFile, spawn } from 'child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Command, InvalidArgumentError } from 'commander';
import { splitManifest } from '../lib/core/manifest';
import { refOf, type KubeObject } from '../lib/core/objects';
import { lastDeployed, releaseFromSecret, type HelmRelease } from '../lib/core/release-record';
import { hookState } from '../lib/core/readiness';
import { holdsLock, LOCK_ANNOTATION } from '../lib/engine/release-store';
import { binaries } from '../lib/helm/binaries';
import { runReleaseLocally } from '../lib/local/run-locally';
import type { LocalRunResult } from '../lib/local/runner';
import { ClientNodeKubeClient, loadKubeConfig } from '../lib/kube/client-node';
import { startSimCluster, type FaultRule, type SimCluster } from '../lib/sim';
import { positiveInteger } from '../lib/cli/options';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'helm-sfn.js');
const RELEASE = 'soak';

interface Flags {
  runs: number;
  faultRate: number;
  killRate: number;
  concurrency: number;
  seed: number;
  timeScale: number;
  json?: boolean;
  out?: string;
}

export interface SoakSummary {
  runs: number;
  steps: number;
  kills: number;
  wrongOutcomes: number;
  stuck: number;
  leakedHooks: number;
  orphans: number;
  lostRecords: number;
  /** Hooks a killed run left running (unlock does not stop them): reported, not a violation. */
  abandonedRunningHooks: number;
  /** API requests the faults failed. */
  faultsInjected: number;
  config: { faultRate: number; killRate: number; concurrency: number; seed: number; timeScale: number };
  seconds: number;
  /** The first violations, each with its run, step and what was wrong. */
  violations: string[];
}

// ------------------------------------------------------------------------------------------
// The chart: every hook event, a Deployment for --wait, objects an upgrade adds and removes.

/** name → [events, delete policy]; every Job hook sleeps a little so kills land mid-hook. */
const HOOKS: Record<string, { events: string; policy: string; script: string; kind?: 'Pod' }> = {
  'soak-pre-install': { events: 'pre-install', policy: 'before-hook-creation,hook-succeeded', script: 'sleep 2' },
  'soak-post-install': { events: 'post-install', policy: 'before-hook-creation,hook-succeeded', script: 'sleep 1' },
  'soak-backup': { events: 'pre-upgrade', policy: 'before-hook-creation,hook-succeeded', script: 'sleep 6' },
  'soak-smoke': { events: 'post-upgrade', policy: 'before-hook-creation,hook-succeeded', script: 'exit {{ if .Values.failPost }}1{{ else }}0{{ end }}' },
  'soak-restore': { events: 'pre-rollback', policy: 'before-hook-creation,hook-succeeded', script: 'sleep 4' },
  'soak-final': { events: 'pre-delete', policy: 'before-hook-creation,hook-succeeded', script: 'sleep 2' },
  'soak-check': { events: 'test', policy: 'before-hook-creation,hook-succeeded', script: 'sleep 1', kind: 'Pod' },
};

function writeSoakChart(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'helm-sfn-soak-')), 'soak');
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: soak\nversion: 0.1.0\n');
  writeFileSync(path.join(dir, 'values.yaml'), 'tag: "1"\nextra: true\nfailPost: false\n');
  const cm = (name: string, data = 'k: v') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  ${data}\n`;
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: soak-web
spec:
  replicas: 1
  selector: { matchLabels: { app: soak-web } }
  template:
    metadata: { labels: { app: soak-web } }
    spec:
      containers:
      - name: web
        image: nginx:{{ .Values.tag }}
`;
  const resources = [cm('soak-app', 'tag: {{ .Values.tag | quote }}'), cm('soak-app-2'), `{{- if .Values.extra }}\n${cm('soak-extra')}{{- end }}\n`, deployment];
  const hooks = Object.entries(HOOKS).map(([name, h]) => {
    const meta = `metadata:\n  name: ${name}\n  annotations:\n    "helm.sh/hook": ${h.events}\n    "helm.sh/hook-delete-policy": ${h.policy}\n`;
    const container = `- name: main\n  image: busybox:1.36\n  command: ["sh", "-c", ${JSON.stringify(h.script)}]\n`;
    if (h.kind === 'Pod') return `apiVersion: v1\nkind: Pod\n${meta}spec:\n  restartPolicy: Never\n  containers:\n${indent(container, 2)}`;
    return `apiVersion: batch/v1\nkind: Job\n${meta}spec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n${indent(container, 6)}`;
  });
  writeFileSync(path.join(dir, 'templates', 'all.yaml'), [...resources, ...hooks].map((d) => `---\n${d}`).join(''));
  return dir;
}

const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');

// ------------------------------------------------------------------------------------------
// Randomness: seeded, so a failing soak can be run again.

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

// ------------------------------------------------------------------------------------------

type Outcome = 'SUCCEEDED' | string;

interface Step {
  readonly name: string;
  /** The outcome(s) a fault-free run has: one per concurrent operation, sorted. */
  readonly expected: Outcome[];
  run(): Promise<Outcome[]>;
}

class SoakRun {
  private readonly violations: string[] = [];
  private readonly abandoned = new Set<string>();
  private faultRules: number[] = [];
  /** The causes of the failed executions of the current step (for violations). */
  private causes: string[] = [];
  private revision = 0;
  steps = 0;
  kills = 0;
  faultsInjected = 0;
  counts = { wrongOutcomes: 0, stuck: 0, leakedHooks: 0, orphans: 0, lostRecords: 0 };

  constructor(
    private readonly index: number,
    private readonly namespace: string,
    private readonly sim: SimCluster,
    private readonly chart: string,
    private readonly flags: Flags,
    private readonly random: () => number,
  ) {}

  get problems(): string[] {
    return this.violations;
  }

  get abandonedHooks(): number {
    return this.abandoned.size;
  }

  private input(action: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { action, release: RELEASE, namespace: this.namespace, ...extra };
  }

  private async local(input: Record<string, unknown>, held?: (interval: [number, number]) => void): Promise<Outcome> {
    let result: LocalRunResult;
    try {
      result = await runReleaseLocally(input, { kubeconfigPath: this.sim.kubeconfigPath, waitScale: this.flags.timeScale });
    } catch (e) {
      return `threw ${(e as Error).name}: ${(e as Error).message}`;
    }
    const locked = result.events.find((e) => e.type === 'StateExited' && e.state.name.startsWith('Prepare '));
    if (locked) held?.([locked.timestamp, result.events.at(-1)!.timestamp]);
    if (result.status === 'SUCCEEDED') return 'SUCCEEDED';
    this.causes.push(`${result.error?.error}: ${causeOf(result.error?.cause ?? '').slice(0, 200)}`);
    return result.error?.error ?? result.status;
  }

  private upgradeInput(values: Record<string, unknown>, options: Record<string, unknown> = {}) {
    return this.input('upgrade', { chart: { source: this.chart }, values, options: { timeoutSeconds: 120, ...options } });
  }

  private faultsOn(): void {
    // three independent rules whose union fails `faultRate` of the requests
    const each = 1 - (1 - this.flags.faultRate) ** (1 / 3);
    if (each <= 0) return;
    this.faultRules = [
      this.sim.faults.add({ namespace: this.namespace, rate: each, effect: { type: 'error', code: 500 } }),
      this.sim.faults.add({ namespace: this.namespace, rate: each, effect: { type: 'error', code: 429, retryAfterSeconds: 1 } }),
      this.sim.faults.add({ namespace: this.namespace, rate: each, effect: { type: 'reset' } }),
    ];
  }

  private faultsOff(): void {
    const active = this.sim.faults.rules as readonly (FaultRule & { id?: number; fired?: number })[];
    for (const rule of active) if (rule.id !== undefined && this.faultRules.includes(rule.id)) this.faultsInjected += rule.fired ?? 0;
    for (const id of this.faultRules) this.sim.faults.remove(id);
    this.faultRules = [];
  }

  /** The lifecycle: install, 2-6 random steps, uninstall (unless a step already removed the release). */
  async run(log: (line: string) => void): Promise<void> {
    let installed = false;
    const plan: Array<() => Step | undefined> = [];
    const stepCount = 2 + Math.floor(this.random() * 5);
    plan.push(() => this.installStep());
    for (let i = 0; i < stepCount; i++) plan.push(() => this.randomStep(installed));
    plan.push(() => (installed ? this.uninstallStep() : undefined));
    let modelLost = false;
    for (const [i, next] of plan.entries()) {
      // after a wrong outcome the run's state is not the one the model expects: only clean up
      if (modelLost && i < plan.length - 1) continue;
      const step = next();
      if (!step) continue;
      this.causes = [];
      this.faultsOn();
      let outcomes: Outcome[];
      try {
        outcomes = (await step.run()).sort();
      } finally {
        this.faultsOff();
      }
      this.steps++;
      if (JSON.stringify(outcomes) !== JSON.stringify(step.expected)) {
        this.violation('wrongOutcomes', `${step.name}: expected ${step.expected.join(', ')}, got ${outcomes.join(', ')} (${this.causes.join('; ')})`);
        modelLost = true;
      }
      installed = await this.check(step.name);
      log(`run ${this.index} step ${this.steps} ${step.name}: ${outcomes.join(', ')}`);
    }
  }

  private violation(kind: keyof SoakRun['counts'], text: string): void {
    this.counts[kind]++;
    this.violations.push(`run ${this.index} (${this.namespace}) step ${this.steps}: ${kind}: ${text}`);
  }

  private installStep(): Step {
    return { name: 'install --wait', expected: ['SUCCEEDED'], run: async () => [await this.local(this.input('install', { chart: { source: this.chart }, options: { wait: true, timeoutSeconds: 120 } }))] };
  }

  private uninstallStep(): Step {
    return { name: 'uninstall', expected: ['SUCCEEDED'], run: async () => [await this.local(this.input('uninstall', { options: { timeoutSeconds: 120 } }))] };
  }

  private randomStep(installed: boolean): Step | undefined {
    if (!installed) return undefined;
    if (this.random() < this.flags.killRate) return this.killStep();
    const tag = String(2 + Math.floor(this.random() * 50));
    const pick = this.random();
    if (pick < 0.25) return { name: 'upgrade', expected: ['SUCCEEDED'], run: async () => [await this.local(this.upgradeInput({ tag, extra: this.random() < 0.5 }))] };
    if (pick < 0.4) return { name: 'failing upgrade, atomic', expected: ['RolledBack'], run: async () => [await this.local(this.upgradeInput({ tag, failPost: true }, { atomic: true }))] };
    if (pick < 0.5) return { name: 'failing upgrade', expected: ['HookFailed'], run: async () => [await this.local(this.upgradeInput({ tag, failPost: true }))] };
    if (pick < 0.65) return this.revision > 1 ? { name: 'rollback', expected: ['SUCCEEDED'], run: async () => [await this.local(this.input('rollback', { options: { timeoutSeconds: 120 } }))] } : undefined;
    if (pick < 0.8) return { name: 'test', expected: ['SUCCEEDED'], run: async () => [await this.local(this.input('test'))] };
    // two operations at once: exactly one takes the lock, the other is refused and changes nothing.
    // Faults may delay one until the other has finished: then both succeed, one after the other —
    // correct, as long as they never held the release at the same time.
    return {
      name: 'concurrent upgrade + test',
      expected: ['ReleaseLocked', 'SUCCEEDED'],
      run: async () => {
        const held: [number, number][] = [];
        const outcomes = await Promise.all([this.local(this.upgradeInput({ tag }), (i) => held.push(i)), this.local(this.input('test'), (i) => held.push(i))]);
        const [a, b] = held;
        const overlapped = held.length === 2 && a[0] < b[1] && b[0] < a[1];
        return outcomes.every((o) => o === 'SUCCEEDED') && !overlapped ? ['ReleaseLocked', 'SUCCEEDED'] : outcomes;
      },
    };
  }

  /** A CLI process runs an upgrade or a rollback and is killed (SIGKILL) once it holds the lock; then plain `unlock`. */
  private killStep(): Step {
    const rollback = this.revision > 1 && this.random() < 0.5;
    const args = rollback ? ['rollback', RELEASE] : ['upgrade', RELEASE, this.chart, '--set', `tag=k${this.steps}`];
    return {
      name: `SIGKILL ${args[0]}, then unlock`,
      expected: ['unlocked'],
      run: async () => {
        const env = { ...process.env, KUBECONFIG: this.sim.kubeconfigPath };
        const child = spawn(process.execPath, [BIN, ...args, '-n', this.namespace, '--timeout', '2m'], { cwd: ROOT, env, stdio: 'ignore' });
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        let ended: number | null | undefined;
        void exited.then((code) => (ended = code));
        while (ended === undefined && !this.records().some((r) => holdsLock(r.info.status))) await sleep(50);
        if (ended !== undefined) return [ended === 0 ? 'unlocked' : `exited ${ended} before the kill`];
        await sleep(this.random() * 1500); // somewhere in the run: hooks, apply, finalize
        child.kill('SIGKILL');
        await exited;
        this.kills++;
        this.faultsOff(); // the operator unlocks once the cluster answers again
        const unlock = await cliJson(['unlock', RELEASE, '-n', this.namespace, '-o', 'json'], env);
        if (unlock.code !== 0) {
          // the run may have finished (or failed and freed its lock) in the last moments
          return [/is not locked/.test(unlock.stderr) ? 'unlocked' : `unlock exited ${unlock.code}: ${unlock.stderr.trim()}`];
        }
        for (const hook of (JSON.parse(unlock.stdout) as { stillRunning: string[] }).stillRunning) this.abandoned.add(hook);
        return ['unlocked'];
      },
    };
  }

  private records(): HelmRelease[] {
    return (this.sim.list('v1', 'Secret', this.namespace) as KubeObject[])
      .filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === RELEASE)
      .map((s) => releaseFromSecret(s as never))
      .sort((a, b) => a.version - b.version);
  }

  /** The checks after a step; returns whether the release exists. */
  private async check(step: string): Promise<boolean> {
    const secrets = (this.sim.list('v1', 'Secret', this.namespace) as KubeObject[]).filter((s) => s.metadata.labels?.owner === 'helm');
    const records = this.records();
    for (const r of records) if (holdsLock(r.info.status)) this.violation('stuck', `${step}: revision ${r.version} is ${r.info.status}`);
    for (const s of secrets) if (s.metadata.annotations?.[LOCK_ANNOTATION]) this.violation('stuck', `${step}: ${s.metadata.name} still claimed by ${s.metadata.annotations[LOCK_ANNOTATION]}`);

    // complete: every revision from 1 to the latest (history-max 10 is never reached here)
    const latest = records.at(-1)?.version ?? 0;
    const missing = Array.from({ length: latest }, (_, i) => i + 1).filter((v) => !records.some((r) => r.version === v));
    if (missing.length) this.violation('lostRecords', `${step}: revisions ${missing.join(', ')} missing`);
    if (latest < this.revision && records.length) this.violation('lostRecords', `${step}: latest revision went back from ${this.revision} to ${latest}`);
    this.revision = latest;
    if (records.length) await this.checkWithHelm(step, records);

    // orphans: objects the release owns that neither the latest record nor the last deployed one names
    const named = new Set<string>();
    for (const r of [records.at(-1), lastDeployed(records)]) {
      for (const doc of r?.manifest ? splitManifest(r.manifest) : []) named.add(`${doc.object.kind}/${refOf(doc.object, this.namespace).name}`);
    }
    const owned = [...(this.sim.list('v1', 'ConfigMap', this.namespace) as KubeObject[]), ...(this.sim.list('apps/v1', 'Deployment', this.namespace) as KubeObject[])].filter(
      (o) => o.metadata.annotations?.['meta.helm.sh/release-name'] === RELEASE,
    );
    for (const o of owned) if (!named.has(`${o.kind}/${o.metadata.name}`)) this.violation('orphans', `${step}: ${o.kind}/${o.metadata.name}`);

    // leaked hooks: finished, and the delete policy says that outcome removes it
    const hooks = [...(this.sim.list('batch/v1', 'Job', this.namespace) as KubeObject[]), ...(this.sim.list('v1', 'Pod', this.namespace) as KubeObject[])].filter((o) => HOOKS[o.metadata.name]);
    for (const o of hooks) {
      const id = `${o.kind}/${o.metadata.name}`;
      const { state } = hookState(o.kind, o, o);
      if (state === 'running') continue;
      this.abandoned.delete(id); // a killed run's hook that finished since: judged like any other
      const policy = HOOKS[o.metadata.name].policy.split(',');
      if (policy.includes(state === 'succeeded' ? 'hook-succeeded' : 'hook-failed')) this.violation('leakedHooks', `${step}: ${id} ${state}, policy ${policy.join(',')}`);
    }
    return records.length > 0 && records.at(-1)!.info.status !== 'uninstalled';
  }

  /** The real helm reads the same history (revision, status) from the records. */
  private async checkWithHelm(step: string, records: HelmRelease[]): Promise<void> {
    try {
      const { stdout } = await promisify(execFile)(binaries().helm, ['history', RELEASE, '-n', this.namespace, '-o', 'json', '--max', '100'], {
        env: { ...process.env, KUBECONFIG: this.sim.kubeconfigPath, HELM_CACHE_HOME: tmpdir(), HELM_CONFIG_HOME: tmpdir() },
      });
      const seen = (JSON.parse(stdout) as { revision: number; status: string }[]).map((r) => `${r.revision}:${r.status}`);
      const ours = records.map((r) => `${r.version}:${r.info.status}`);
      if (JSON.stringify(seen) !== JSON.stringify(ours)) this.violation('lostRecords', `${step}: helm history reads ${seen.join(' ')}, the records are ${ours.join(' ')}`);
    } catch (e) {
      this.violation('lostRecords', `${step}: helm history failed: ${String((e as { stderr?: string }).stderr ?? e).trim()}`);
    }
  }
}

/** A Lambda error's cause is JSON { errorType, errorMessage, trace }: the message. */
function causeOf(cause: string): string {
  try {
    return String((JSON.parse(cause) as { errorMessage?: unknown }).errorMessage ?? cause);
  } catch {
    return cause;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cliJson(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

export async function soak(flags: Flags, log: (line: string) => void): Promise<SoakSummary> {
  const started = Date.now();
  const sim = await startSimCluster({ timeScale: flags.timeScale, seed: flags.seed });
  const chart = writeSoakChart();
  const random = rng(flags.seed);
  const runs: SoakRun[] = [];
  try {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < flags.runs; i = next++) {
        const namespace = `soak-${i}`;
        await createNamespace(sim, namespace);
        const run = new SoakRun(i, namespace, sim, chart, flags, rng(Math.floor(random() * 2 ** 31)));
        runs.push(run);
        await run.run(log);
      }
    };
    await Promise.all(Array.from({ length: flags.concurrency }, worker));
  } finally {
    await sim.stop();
  }
  const sum = (key: keyof SoakRun['counts']) => runs.reduce((n, r) => n + r.counts[key], 0);
  return {
    runs: runs.length,
    steps: runs.reduce((n, r) => n + r.steps, 0),
    kills: runs.reduce((n, r) => n + r.kills, 0),
    wrongOutcomes: sum('wrongOutcomes'),
    stuck: sum('stuck'),
    leakedHooks: sum('leakedHooks'),
    orphans: sum('orphans'),
    lostRecords: sum('lostRecords'),
    abandonedRunningHooks: runs.reduce((n, r) => n + r.abandonedHooks, 0),
    faultsInjected: runs.reduce((n, r) => n + r.faultsInjected, 0),
    config: { faultRate: flags.faultRate, killRate: flags.killRate, concurrency: flags.concurrency, seed: flags.seed, timeScale: flags.timeScale },
    seconds: Math.round((Date.now() - started) / 1000),
    violations: runs.flatMap((r) => r.problems).slice(0, 50),
  };
}

/** By server-side apply: idempotent, so the adapter retries it through the faults the soak injects. */
async function createNamespace(sim: SimCluster, name: string): Promise<void> {
  await new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath })).apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'soak' });
}

function rate(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`must be a number from 0 to 1, got '${text}'`);
  return n;
}

async function main(): Promise<void> {
  const flags = new Command('soak')
    .requiredOption('--runs <n>', 'lifecycles to run', positiveInteger)
    .requiredOption('--fault-rate <p>', 'share of API requests that fail (500, 429, reset), 0..1', rate)
    .option('--kill-rate <k>', 'share of steps that SIGKILL a CLI run and unlock, 0..1', rate, 0)
    .option('--concurrency <c>', 'lifecycles at a time', positiveInteger, 1)
    .option('--seed <s>', 'random seed', (v) => Number(v), 1)
    .option('--time-scale <x>', "the sim's time scale and helm-sfn's waitScale", (v) => Number(v), 0.05)
    .option('--json', 'print the summary as JSON only')
    .option('--out <file>', 'also write the JSON summary here')
    .parse()
    .opts<Flags>();
  const summary = await soak(flags, (line) => process.stderr.write(`${line}\n`));
  const json = `${JSON.stringify(summary, null, 2)}\n`;
  if (flags.out) writeFileSync(flags.out, json);
  process.stdout.write(json);
  const violations = summary.wrongOutcomes + summary.stuck + summary.leakedHooks + summary.orphans + summary.lostRecords;
  if (!flags.json) process.stderr.write(`${summary.runs} runs, ${summary.steps} steps, ${summary.kills} kills: ${violations} violation(s)\n`);
  process.exitCode = violations > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  });
}
