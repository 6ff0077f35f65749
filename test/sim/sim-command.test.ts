/**
 * `helm-sfn sim` (lib/cli/commands/sim.ts): flags, the kubeconfig it writes and announces, a
 * real `helm install` of a chart whose hook Job runs `sleep 1; echo done` with `kubectl logs`
 * showing `done`, a clean stop on SIGTERM, random faults (`--fault-rate`, `--fault-kinds`) as
 * kubectl meets them and the `--operation-log` it writes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { register, runSim, type SimIo } from '../../lib/cli/commands/sim';
import { binaries } from '../../lib/helm/binaries';
import { startSimCluster } from '../../lib/sim';
import { execFile } from 'child_process';
import { promisify } from 'util';
import { CHART, eventually } from './support';

const exec = promisify(execFile);

function program(): Command {
  const p = new Command('helm-sfn').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  register(p);
  return p;
}

describe('helm-sfn sim', () => {
  it.each([
    [['--port', 'http'], "option '--port <n>' argument 'http' is invalid. must be an integer from 0 to 65535 (0 = a random free port)"],
    [['--port', '70000'], 'must be an integer from 0 to 65535'],
    [['--time-scale', '0'], "option '--time-scale <x>' argument '0' is invalid. must be a positive number"],
    [['--fault-rate', '1.5'], "option '--fault-rate <p>' argument '1.5' is invalid. must be a probability from 0 to 1"],
    [['--fault-rate', 'often'], "option '--fault-rate <p>' argument 'often' is invalid. must be a probability from 0 to 1"],
    [['--fault-rate', '0.1', '--fault-kinds', '500,oops,302'], 'must be a comma-separated list of HTTP error statuses (400-599) and "reset", e.g. 500,429,reset; not "oops", "302"'],
    [['--fault-kinds', '500'], "error: option '--fault-kinds <list>' needs --fault-rate <p>"],
    [['--operation-log', '/nonexistent/dir/ops.jsonl'], "option '--operation-log <file>' argument '/nonexistent/dir/ops.jsonl' is invalid. cannot write a file in /nonexistent/dir"],
    [['--operation-log', os.tmpdir()], `is invalid. ${os.tmpdir()} is a directory; name a file`],
  ])('rejects %j naming the flag and the rule', async (args, message) => {
    await expect(program().parseAsync(['node', 'helm-sfn', 'sim', ...args])).rejects.toThrow(message);
  });

  it('fails requests at the fault rate with the kinds asked for, and writes every request as a JSON line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-faults-'));
    const opsFile = path.join(dir, 'ops.jsonl');
    const info: string[] = [];
    let kubeconfig = '';
    let stop!: (signal: string) => void;
    const io: SimIo = { out: (l) => (kubeconfig = l.slice('export KUBECONFIG='.length)), info: (l) => info.push(l), untilStopped: () => new Promise((resolve) => (stop = resolve)) };
    const running = runSim({ port: 0, timeScale: 0.1, faultRate: 1, faultKinds: [503], operationLog: opsFile }, io);
    await eventually('the export line', () => kubeconfig !== '');
    expect(info).toContain('helm-sfn sim: 100% of requests on resources fail with 503');

    const env = { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig };
    const res = await exec(binaries().kubectl, ['get', 'configmaps', '--request-timeout=5s'], { env }).catch((e) => e);
    stop('SIGTERM');
    await running;
    expect(res.stderr).toBe('Error from server (ServiceUnavailable): injected fault (503)\n');

    const lines = fs.readFileSync(opsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.every((l) => Object.keys(l).join() === 'time,verb,path,userAgent,status')).toBe(true);
    expect(lines).toContainEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), verb: 'get', path: '/api?timeout=5s', userAgent: expect.stringMatching(/^kubectl\/v1\.34/), status: 200 });
    expect(lines).toContainEqual(expect.objectContaining({ verb: 'list', path: '/api/v1/namespaces/default/configmaps?limit=500&timeout=5s', status: 503 }));
  });

  it('picks one of several fault kinds each time a fault fires', async () => {
    const sim = await startSimCluster({ seed: 7, controllers: false });
    try {
      sim.faults.add({ rate: 1, effect: [500, 429, 'reset'].map((k) => (k === 'reset' ? { type: 'reset' as const } : { type: 'error' as const, code: k as number })) });
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) seen.add(await fetch(`${sim.url}/api/v1/namespaces`).then((r) => String(r.status), () => 'reset'));
      expect([...seen].sort()).toEqual(['429', '500', 'reset']);
    } finally {
      await sim.stop();
    }
  });

  it('writes the kubeconfig it announces; real helm installs a hook chart and kubectl logs shows "done"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cmd-'));
    const kubeconfig = path.join(dir, 'k');
    const out: string[] = [];
    const info: string[] = [];
    let stop!: (signal: string) => void;
    const io: SimIo = { out: (l) => out.push(l), info: (l) => info.push(l), untilStopped: () => new Promise((resolve) => (stop = resolve)) };
    const running = runSim({ port: 0, kubeconfig, timeScale: 0.1 }, io);
    await eventually('the export line', () => out.length > 0);
    expect(out).toEqual([`export KUBECONFIG=${kubeconfig}`]);
    expect(info[0]).toMatch(/^helm-sfn sim: Kubernetes v1\.34\.0\+sim API at http:\/\/127\.0\.0\.1:\d+ \(time scale 0\.1\); Ctrl-C stops it$/);
    expect(fs.readFileSync(kubeconfig, 'utf8')).toContain('insecure-skip-tls-verify: true');

    const env = { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig };
    const install = await exec(binaries().helm, ['install', 'r1', CHART, '--set', 'postScript=sleep 1; echo done'], { env });
    expect(install.stdout).toContain('STATUS: deployed');
    const logs = await exec(binaries().kubectl, ['logs', 'job/r1-post'], { env });
    expect(logs.stdout).toBe('done\n');

    stop('SIGTERM');
    await running;
    expect(info[info.length - 1]).toBe('helm-sfn sim: stopped (SIGTERM)');
    const url = /API at (\S+) /.exec(info[0])![1];
    await expect(fetch(`${url}/version`)).rejects.toThrow();
  });

  it('stops on SIGINT when run with the process signal handlers', async () => {
    const writes: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (writes.push(String(s)), true));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (writes.push(String(s)), true));
    const listeners = process.listenerCount('SIGINT');
    try {
      const running = runSim({ port: 0, timeScale: 1 });
      await eventually('the export line', () => writes.some((w) => w.startsWith('export KUBECONFIG=')));
      const kubeconfig = writes.find((w) => w.startsWith('export KUBECONFIG='))!.trim().slice('export KUBECONFIG='.length);
      expect(fs.existsSync(kubeconfig)).toBe(true);
      process.emit('SIGINT');
      await running;
      expect(fs.existsSync(kubeconfig)).toBe(false); // the default temporary kubeconfig is removed
      expect(process.listenerCount('SIGINT')).toBe(listeners);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
