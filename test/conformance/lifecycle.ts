/**
 * One tool's run of a corpus chart: install → upgrade → test → rollback → uninstall on a fresh
 * simulated cluster, with what it left observed after every step: the API writes it made (the
 * sim's operation log), the live objects it wrote, the release records, and what the real
 * helm CLI reads from them (`helm get manifest|notes|values -a|hooks`, `helm history`).
 */
import { execFile } from 'child_process';
import { createHash } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { gunzipSync } from 'zlib';
import { binaries } from '../../lib/helm/binaries';
import { localDefinition, runReleaseLocally } from '../../lib/local/run-locally';
import { startSimCluster, type SimCluster, type SimOperation } from '../../lib/sim';
import { chartDir, installValues, THIRD_PARTY, upgradeValues, type CorpusChart } from './corpus';

export const STEPS = ['install', 'upgrade', 'test', 'rollback', 'uninstall'] as const;
export type Step = (typeof STEPS)[number];
export type Tool = 'helm' | 'helm-sfn';

/** What each `helm` read printed (stdout, or the error it ended with). */
export interface CliOutput {
  readonly ok: boolean;
  readonly text: string;
}

export const CLI_READS = ['manifest', 'notes', 'values', 'hooks', 'history'] as const;
export type CliRead = (typeof CLI_READS)[number];

/** An API write by a client (not by the sim's controllers), as the operation log has it. */
export interface ApiWrite {
  readonly verb: string;
  readonly group: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly fieldManager?: string;
  readonly subresource?: string;
  readonly code: number;
  readonly outcome: string;
}

export interface StepObservation {
  readonly step: Step;
  readonly ok: boolean;
  /** The error helm printed, or helm-sfn's `Error: cause`. */
  readonly message?: string;
  readonly writes: readonly ApiWrite[];
  /** Objects any client wrote so far (key: group/Kind/namespace/name), normalized; absent ones are missing. */
  readonly objects: ReadonlyMap<string, unknown>;
  /** Release record Secrets by name, decoded, volatile times replaced by their layout. */
  readonly records: ReadonlyMap<string, unknown>;
  readonly cli: Readonly<Record<CliRead, CliOutput>>;
}

export interface LifecycleObservation {
  readonly tool: Tool;
  readonly steps: readonly StepObservation[];
  readonly ms: number;
}

/**
 * The sim's durations as they are (a container starts in 0.1 s and runs 1 s). Shorter ones race
 * helm: a hook Job with `ttlSecondsAfterFinished: 0` (ingress-nginx, prometheus-operator-admission-
 * webhook) is then finished and deleted before helm's watch on it has listed it, and helm fails
 * with "not ready. status: NotFound", which a real cluster's seconds-long pod start never allows
 * (seen at time scales 0.02 and 0.25 on a loaded machine).
 */
export const DEFAULT_TIME_SCALE = 1;

export interface LifecycleOptions {
  /** The sim's time scale (container run times, Job back-offs); default DEFAULT_TIME_SCALE. */
  readonly timeScale?: number;
  /** Per hook (helm --timeout, helm-sfn options.timeoutSeconds); default 60. */
  readonly timeoutSeconds?: number;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'apply', 'delete']);
const exec = promisify(execFile);

export async function runLifecycle(chart: CorpusChart, tool: Tool, opts: LifecycleOptions = {}): Promise<LifecycleObservation> {
  // synthesizing the workflow blocks the event loop for seconds: do it before the sim answers anyone
  if (tool === 'helm-sfn') localDefinition();
  const started = Date.now();
  const sim = await startSimCluster({ timeScale: opts.timeScale ?? DEFAULT_TIME_SCALE, captureBodies: true });
  const lockWrites = lockWriteFinder(chart);
  const home = mkdtempSync(path.join(tmpdir(), 'conformance-helm-'));
  const helm = (args: string[]) => runHelm(sim, home, args);
  try {
    await createNamespace(sim, chart.namespace);
    for (const file of chart.clusterSetup ?? []) await setUp(sim, home, path.join(THIRD_PARTY, file));
    const run = tool === 'helm' ? helmStep : sfnStep;
    const written = new Map<string, ApiWrite>();
    const steps: StepObservation[] = [];
    for (const step of STEPS) {
      const mark = sim.operations.length;
      const outcome = await run(step, chart, sim, helm, opts.timeoutSeconds ?? 60);
      const ops = sim.operations.slice(mark);
      const dropped = lockWrites(ops);
      const writes = ops.filter(isClientWrite).filter((op) => !dropped.has(op)).map(toWrite);
      // an object is read back with the apiVersion of its first write
      for (const w of writes) if (!isRecord(w, chart) && !written.has(objectKey(w))) written.set(objectKey(w), w);
      const cli = await readWithHelm(chart, helm);
      steps.push({ step, ...outcome, writes, objects: liveObjects(sim, written), records: releaseRecords(sim, chart), cli });
    }
    return { tool, steps, ms: Date.now() - started };
  } finally {
    await sim.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * An observation as a worker process sends it: objects and records by content hash, each
 * content once (most of them do not change from one step to the next).
 */
export interface WireObservation {
  readonly tool: Tool;
  readonly ms: number;
  readonly pool: Record<string, unknown>;
  readonly steps: (Omit<StepObservation, 'objects' | 'records'> & { objects: [string, string][]; records: [string, string][] })[];
}

export function toWire(o: LifecycleObservation): WireObservation {
  const pool: Record<string, unknown> = {};
  const hashed = (m: ReadonlyMap<string, unknown>): [string, string][] =>
    [...m].map(([key, value]) => {
      const hash = createHash('sha1').update(JSON.stringify(value)).digest('hex');
      pool[hash] = value;
      return [key, hash];
    });
  return { tool: o.tool, ms: o.ms, pool, steps: o.steps.map((s) => ({ ...s, objects: hashed(s.objects), records: hashed(s.records) })) };
}

export function fromWire(w: WireObservation): LifecycleObservation {
  const resolved = (entries: [string, string][]) => new Map(entries.map(([key, hash]) => [key, w.pool[hash]]));
  return { tool: w.tool, ms: w.ms, steps: w.steps.map((s) => ({ ...s, objects: resolved(s.objects), records: resolved(s.records) })) };
}

type Outcome = { ok: boolean; message?: string };
type Helm = (args: string[]) => Promise<CliOutput>;

async function helmStep(step: Step, chart: CorpusChart, _sim: SimCluster, helm: Helm, timeoutSeconds: number): Promise<Outcome> {
  const ns = ['-n', chart.namespace];
  const timeout = ['--timeout', `${timeoutSeconds}s`];
  const args: Record<Step, string[]> = {
    install: ['install', chart.release, chartDir(chart), ...ns, '-f', installValues(chart), ...timeout],
    upgrade: ['upgrade', chart.release, chartDir(chart), ...ns, '-f', upgradeValues(chart), ...timeout],
    test: ['test', chart.release, ...ns, ...timeout],
    rollback: ['rollback', chart.release, ...ns, ...timeout],
    uninstall: ['uninstall', chart.release, ...ns, ...timeout],
  };
  const out = await helm(args[step]);
  return out.ok ? { ok: true } : { ok: false, message: out.text };
}

async function sfnStep(step: Step, chart: CorpusChart, sim: SimCluster, _helm: Helm, timeoutSeconds: number): Promise<Outcome> {
  const rendering = step === 'install' || step === 'upgrade';
  const input = {
    action: step,
    release: chart.release,
    namespace: chart.namespace,
    ...(rendering ? { chart: { source: chartDir(chart) }, valuesFrom: [step === 'install' ? installValues(chart) : upgradeValues(chart)] } : {}),
    options: { hookMode: 'sequential', timeoutSeconds },
  };
  const result = await runReleaseLocally(input, {
    kubeconfigPath: sim.kubeconfigPath,
    waitScale: 0.01,
    deps: { sleep: (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))) },
  });
  if (result.status === 'SUCCEEDED') return { ok: true };
  return { ok: false, message: result.error ? `${result.error.error}: ${result.error.cause}` : `execution ${result.status}` };
}

async function runHelm(sim: SimCluster, home: string, args: string[]): Promise<CliOutput> {
  const env = { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: sim.kubeconfigPath, TZ: 'UTC' };
  try {
    const { stdout } = await exec(binaries().helm, args, { env, maxBuffer: 256 * 1024 * 1024 });
    return { ok: true, text: stdout };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ok: false, text: (err.stderr ?? err.message).trim() };
  }
}

/**
 * The release as the helm CLI shows it; history's dates are reduced to their layout. The `get`s
 * name the last revision of the history (what they read without `--revision`), so each decodes
 * one record instead of all of them.
 */
async function readWithHelm(chart: CorpusChart, helm: Helm): Promise<Record<CliRead, CliOutput>> {
  const ns = ['-n', chart.namespace];
  const history = await helm(['history', chart.release, '-o', 'json', ...ns]);
  const rows = history.ok ? (JSON.parse(history.text) as { revision: number; updated?: string }[]) : [];
  const last = rows.length ? ['--revision', String(Math.max(...rows.map((r) => r.revision)))] : [];
  const [manifest, notes, values, hooks] = await Promise.all([
    helm(['get', 'manifest', chart.release, ...last, ...ns]),
    helm(['get', 'notes', chart.release, ...last, ...ns]),
    helm(['get', 'values', chart.release, '-a', ...last, ...ns]),
    helm(['get', 'hooks', chart.release, ...last, ...ns]),
  ]);
  const shown = history.ok ? { ok: true, text: JSON.stringify(rows.map((r) => ({ ...r, updated: layoutOf(r.updated) })), null, 2) } : history;
  return { manifest, notes, values, hooks, history: shown };
}

/**
 * A timestamp's layout, not its value: fractional seconds go (Go prints none when they are zero,
 * which a millisecond clock hits once in a thousand), then every run of digits becomes `D`
 * (`2026-11-27T07:37:00.12Z` → `D-D-DTD:D:DZ`, `…+01:00` → `…+D:D`).
 */
export const layoutOf = (time: string | undefined): string | undefined => time?.replace(/\.\d+/, '').replace(/\d+/g, 'D');

async function createNamespace(sim: SimCluster, name: string): Promise<void> {
  const res = await fetch(`${sim.url}/api/v1/namespaces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'conformance-harness' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
  });
  if (res.status !== 201) throw new Error(`creating namespace ${name}: HTTP ${res.status} ${await res.text()}`);
  // the namespace controller adds the default ServiceAccount and kube-root-ca.crt on its next turn
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Creates a manifest's objects with the real kubectl and waits for CRDs to be established. */
async function setUp(sim: SimCluster, home: string, file: string): Promise<void> {
  const env = { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: sim.kubeconfigPath };
  const kubectl = (...args: string[]) => exec(binaries().kubectl, args, { env, maxBuffer: 64 * 1024 * 1024 });
  const { stdout } = await kubectl('create', '-f', file, '-o', 'name');
  const crds = stdout.split('\n').filter((name) => name.startsWith('customresourcedefinition'));
  if (crds.length) await kubectl('wait', '--for', 'condition=Established', '--timeout', '30s', ...crds);
}

/** Every write request a client made (the sim's controllers have no user agent), answered or refused. */
/**
 * Record writes that exist for helm-sfn's lock and crash safety, not for what Helm stores —
 * dropped (helm makes none; its Secret bodies are protobuf and never match):
 * - taking or giving back a claim (the `helm-sfn.io/lock` annotation): the release stays as it
 *   was — except the step's last record write, which stands where Helm writes its final update
 *   (`helm test` rewrites the record unchanged when the release has no test hooks);
 * - the purge's first step: the record marked `uninstalled` right before the revisions are
 *   deleted, so a purge cut short is finished, never left half-done.
 */
function lockWriteFinder(chart: CorpusChart): (ops: readonly SimOperation[]) => Set<SimOperation> {
  const last = new Map<string, string>(); // each record's release as last written, across steps
  return (ops) => {
    const dropped = new Set<SimOperation>();
    const deletedLater = (i: number, name: string) => ops.slice(i + 1).some((o) => o.verb === 'delete' && o.kind === 'Secret' && o.name === name);
    const isRecordWrite = (o: SimOperation) => o.kind === 'Secret' && o.namespace === chart.namespace && Boolean(o.name?.startsWith(recordPrefix(chart))) && o.verb !== 'delete' && o.code < 400;
    const lastRecordWrite = ops.map((o, i) => (isRecordWrite(o) ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    ops.forEach((op, i) => {
      if (!isRecordWrite(op) || !op.body || !op.name) return;
      let secret: Loose;
      try {
        secret = JSON.parse(op.body) as Loose;
      } catch {
        return; // helm's protobuf bodies: compared as they are
      }
      const inner = Buffer.from(Buffer.from((secret.data?.release as string | undefined) ?? '', 'base64').toString('utf8'), 'base64');
      const content = (inner[0] === 0x1f && inner[1] === 0x8b ? gunzipSync(inner) : inner).toString('utf8');
      const claim = last.get(op.name) === content && i !== lastRecordWrite;
      const purgeStart = (JSON.parse(content) as Loose).info?.status === 'uninstalled' && deletedLater(i, op.name);
      last.set(op.name, content);
      if (claim || purgeStart) dropped.add(op);
    });
    return dropped;
  };
}

function isClientWrite(op: SimOperation): boolean {
  return WRITE_VERBS.has(op.verb) && op.userAgent !== undefined && op.userAgent !== 'conformance-harness' && op.name !== undefined;
}

function toWrite(op: SimOperation): ApiWrite {
  const group = op.apiVersion.includes('/') ? op.apiVersion.split('/')[0] : '';
  return {
    verb: op.verb,
    group,
    apiVersion: op.apiVersion,
    kind: op.kind,
    namespace: op.namespace,
    name: op.name!,
    fieldManager: op.fieldManager,
    subresource: op.subresource,
    code: op.code,
    outcome: op.outcome,
  };
}

export const objectKey = (o: { group: string; kind: string; namespace?: string; name: string }): string =>
  `${o.group ? `${o.group}/` : ''}${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

export const recordPrefix = (chart: CorpusChart): string => `sh.helm.release.v1.${chart.release}.v`;

export const isRecord = (w: { group: string; kind: string; namespace?: string; name: string }, chart: CorpusChart): boolean =>
  w.group === '' && w.kind === 'Secret' && w.namespace === chart.namespace && w.name.startsWith(recordPrefix(chart));

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function liveObjects(sim: SimCluster, written: ReadonlyMap<string, ApiWrite>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, w] of written) {
    let o: Loose | undefined;
    try {
      o = sim.get(w.apiVersion, w.kind, w.namespace, w.name) as Loose | undefined;
    } catch {
      o = undefined; // its kind is no longer served (CRD deleted)
    }
    if (o) out.set(key, normalizeObject(o));
  }
  return out;
}

/**
 * Drops what the API server assigns and no client chooses: uid (and its copies in Job selectors
 * and owner references), resourceVersion, creationTimestamp, generation, managedFields' times,
 * status (and the managedFields entries of the status subresource), and addresses the sim
 * allocates (Service cluster IPs and node ports).
 */
export function normalizeObject(obj: Loose): unknown {
  const uid: string | undefined = obj.metadata?.uid;
  const o: Loose = JSON.parse(uid ? JSON.stringify(obj).split(uid).join('<own uid>') : JSON.stringify(obj));
  const meta = o.metadata ?? {};
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'selfLink']) delete meta[k];
  if (meta.deletionTimestamp) meta.deletionTimestamp = '<set>';
  // status is the controllers' (and excluded); so are the managedFields entries of the status subresource
  if (meta.managedFields) meta.managedFields = meta.managedFields.filter((m: Loose) => m.subresource !== 'status');
  for (const m of meta.managedFields ?? []) delete m.time;
  for (const r of meta.ownerReferences ?? []) r.uid = '<owner uid>';
  delete o.status;
  if (o.kind === 'Service' && o.apiVersion === 'v1' && o.spec) {
    if (o.spec.clusterIP && o.spec.clusterIP !== 'None') o.spec.clusterIP = '<allocated>';
    if (o.spec.clusterIPs) o.spec.clusterIPs = o.spec.clusterIPs.map((ip: string) => (ip === 'None' ? ip : '<allocated>'));
    for (const p of o.spec.ports ?? []) if (p.nodePort !== undefined) p.nodePort = '<allocated>';
    if (o.spec.healthCheckNodePort !== undefined) o.spec.healthCheckNodePort = '<allocated>';
  }
  return o;
}

/**
 * helm-sfn's own annotations on records: the execution that wrote it, the lock claim and the
 * local owner's liveness (issue 9 allows them; helm ignores annotations).
 */
const isHelmSfnAnnotation = (key: string) => key.startsWith('helm-sfn.io/');

/** Every revision's record Secret: labels (times as layouts), annotations but helm-sfn's execution, type and the decoded release. */
function releaseRecords(sim: SimCluster, chart: CorpusChart): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const secrets = sim.list('v1', 'Secret', chart.namespace) as Loose[];
  for (const s of secrets.filter((x) => x.metadata.name.startsWith(recordPrefix(chart))).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const labels = { ...s.metadata.labels };
    for (const k of ['createdAt', 'modifiedAt']) if (labels[k] !== undefined) labels[k] = layoutOf(labels[k]);
    const annotations = Object.fromEntries(Object.entries(s.metadata.annotations ?? {}).filter(([k]) => !isHelmSfnAnnotation(k)));
    out.set(s.metadata.name, { type: s.type, labels, annotations, release: decodeRelease(s.data?.release) });
  }
  return out;
}

/** Secret data is base64; inside, Helm's own base64 of gzip of JSON (helm v4.1.4 `pkg/storage/driver/util.go`). */
function decodeRelease(data: string | undefined): unknown {
  if (!data) return undefined;
  const inner = Buffer.from(Buffer.from(data, 'base64').toString('utf8'), 'base64');
  const json = inner[0] === 0x1f && inner[1] === 0x8b ? gunzipSync(inner).toString('utf8') : inner.toString('utf8');
  const release = JSON.parse(json) as Loose;
  for (const k of ['first_deployed', 'last_deployed', 'deleted']) if (release.info?.[k]) release.info[k] = layoutOf(release.info[k]);
  // chart files are base64 in the record: decoded, their differences read as text
  for (const f of [...(release.chart?.templates ?? []), ...(release.chart?.files ?? [])]) if (typeof f.data === 'string') f.data = Buffer.from(f.data, 'base64').toString('utf8');
  if (typeof release.chart?.schema === 'string') release.chart.schema = Buffer.from(release.chart.schema, 'base64').toString('utf8');
  for (const h of release.hooks ?? []) {
    for (const k of ['started_at', 'completed_at']) if (h.last_run?.[k]) h.last_run[k] = layoutOf(h.last_run[k]);
  }
  return release;
}
