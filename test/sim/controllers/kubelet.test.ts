import { startSimCluster, type SimCluster } from '../../../lib/sim';
import { eventually, send } from '../support';

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.01, seed: 5 });
});
afterAll(() => sim.stop());

const PODS = '/api/v1/namespaces/default/pods';
const pod = (name: string) => sim.get('v1', 'Pod', 'default', name) as any;
const podManifest = (name: string, script: string | undefined, restartPolicy = 'Never') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox:1.36', ...(script ? { command: ['sh', '-c', script] } : {}) }] },
});

describe('kubelet', () => {
  it('binds the pod, runs the script and ends Succeeded with its log lines', async () => {
    await send(sim, 'POST', PODS, podManifest('runner', 'echo a; sleep 20; echo b'));
    const running = await eventually('runner to run', () => pod('runner')?.status?.phase === 'Running' && pod('runner'));
    expect(running.spec.nodeName).toBe('sim-node');
    expect(running.status.containerStatuses[0]).toMatchObject({ name: 'c', ready: true, started: true, state: { running: {} } });
    expect(running.status.podIP).toMatch(/^10\.244\.0\.\d+$/);
    const done = await eventually('runner to succeed', () => pod('runner')?.status?.phase === 'Succeeded' && pod('runner'));
    expect(done.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(done.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(sim.podLogs('default', 'runner')).toEqual(['a', 'b']);
    const log = await fetch(`${sim.url}${PODS}/runner/log?timestamps=true`).then((r) => r.text());
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z a\n.* b\n$/);
  });

  it('reports a non-zero exit as Failed / Error', async () => {
    await send(sim, 'POST', PODS, podManifest('broken', 'echo oops; exit 7'));
    const done = await eventually('broken to fail', () => pod('broken')?.status?.phase === 'Failed' && pod('broken'));
    expect(done.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
  });

  it('restarts an Always container with back-off and never marks a failing one ready', async () => {
    await send(sim, 'POST', PODS, podManifest('crashy', 'exit 1', 'Always'));
    const restarted = await eventually('crashy to restart twice', () => (pod('crashy')?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 && pod('crashy'));
    expect(restarted.status.phase).toBe('Running');
    expect(restarted.status.containerStatuses[0].ready).toBe(false);
    expect(restarted.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1 });
    const previous = await fetch(`${sim.url}${PODS}/crashy/log?previous=true`);
    expect(previous.status).toBe(200);
  });

  it('keeps a long-running container without command running and ready', async () => {
    await send(sim, 'POST', PODS, podManifest('server', undefined, 'Always'));
    await eventually('server to be ready', () => pod('server')?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
  });

  it("runs an image's entrypoint (args only) until killed under restartPolicy Always, and to a successful end under Never", async () => {
    const entrypoint = (name: string, restartPolicy: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { restartPolicy, containers: [{ name: 'c', image: 'registry.example.com/controller:1.0', args: ['--leader-elect', '--port=8443'] }] },
    });
    await send(sim, 'POST', PODS, entrypoint('served', 'Always'));
    await send(sim, 'POST', PODS, entrypoint('task', 'Never'));
    const task = await eventually('task to succeed', () => pod('task')?.status?.phase === 'Succeeded' && pod('task'));
    expect(task.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    // started together, the server outlives the task: still running, ready, never restarted
    expect(pod('served').status.phase).toBe('Running');
    expect(pod('served').status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0, state: { running: {} } });
  });

  it('serves from a script that execs a program, and crash-loops a script that only echoes', async () => {
    await send(sim, 'POST', PODS, podManifest('execs', 'echo starting; exec /server --port 80', 'Always'));
    await send(sim, 'POST', PODS, podManifest('echoes', 'echo hi', 'Always'));
    await eventually('echoes to restart', () => (pod('echoes')?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect(pod('execs').status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0, state: { running: {} } });
    expect(sim.podLogs('default', 'execs')).toEqual(['starting']);
  });

  it('marks a container with a readinessProbe ready only after its initial delay', async () => {
    const probed = podManifest('probed', undefined, 'Always') as any;
    probed.spec.containers[0].readinessProbe = { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 30 };
    await send(sim, 'POST', PODS, probed);
    const running = await eventually('probed to run', () => pod('probed')?.status?.phase === 'Running' && pod('probed'));
    expect(running.status.containerStatuses[0]).toMatchObject({ started: true, ready: false });
    await eventually('probed to be ready', () => pod('probed')?.status?.containerStatuses?.[0]?.ready);
  });

  it('stops a deleted pod and then removes it (Terminating first)', async () => {
    await eventually('server to run', () => pod('server')?.status?.phase === 'Running');
    const res = await send(sim, 'DELETE', `${PODS}/server`);
    expect(res.metadata.deletionTimestamp).toBeDefined();
    await eventually('server to be gone', () => !pod('server'));
  });

  it('runs init containers one at a time before the regular containers', async () => {
    const spec = (initScript: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: initScript.includes('exit') ? 'init-fails' : 'init-ok' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          { name: 'first', image: 'busybox', command: ['sh', '-c', 'echo first; sleep 10'] },
          { name: 'second', image: 'busybox', command: ['sh', '-c', initScript] },
        ],
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo main'] }],
      },
    });
    await send(sim, 'POST', PODS, spec('echo second'));
    await send(sim, 'POST', PODS, spec('echo broken; exit 4'));
    const ok = await eventually('init-ok to succeed', () => pod('init-ok')?.status?.phase === 'Succeeded' && pod('init-ok'));
    expect(ok.status.initContainerStatuses.map((c: any) => [c.name, c.state.terminated.exitCode])).toEqual([['first', 0], ['second', 0]]);
    expect(sim.podLogs('default', 'init-ok', 'second')).toEqual(['second']);
    expect(sim.podLogs('default', 'init-ok')).toEqual(['main']);
    const failed = await eventually('init-fails to fail', () => pod('init-fails')?.status?.phase === 'Failed' && pod('init-fails'));
    expect(failed.status.initContainerStatuses[1].state.terminated).toMatchObject({ exitCode: 4, reason: 'Error' });
    expect(failed.status.containerStatuses[0].state.waiting.reason).toBe('PodInitializing');
    const logs = (await fetch(`${sim.url}${PODS}/init-fails/log?container=main`).then((r) => r.json())) as { message: string };
    expect(logs.message).toBe('container "main" in pod "init-fails" is waiting to start: PodInitializing');
  });

  it('streams logs with follow until the container stops', async () => {
    await send(sim, 'POST', PODS, podManifest('follow', 'echo one; sleep 10; echo two'));
    await eventually('follow to run', () => pod('follow')?.status?.phase === 'Running');
    const text = await fetch(`${sim.url}${PODS}/follow/log?follow=true`).then((r) => r.text());
    expect(text).toBe('one\ntwo\n');
  });
});
