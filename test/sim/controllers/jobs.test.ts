import { startSimCluster, type SimCluster } from '../../../lib/sim';
import { eventually, jobManifest, send } from '../support';

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.01, seed: 3 });
});
afterAll(() => sim.stop());

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const job = (name: string) => sim.get('batch/v1', 'Job', 'default', name) as any;
const podsOf = (name: string) => sim.list('v1', 'Pod', 'default').filter((p: any) => p.metadata.labels?.['job-name'] === name) as any[];
const conditionTypes = (j: any) => (j.status?.conditions ?? []).filter((c: any) => c.status === 'True').map((c: any) => c.type);
const finished = (name: string) => () => {
  const j = job(name);
  return j && (conditionTypes(j).includes('Complete') || conditionTypes(j).includes('Failed')) && j;
};

describe('Job controller', () => {
  it('runs a pod from the template and completes with SuccessCriteriaMet and Complete', async () => {
    await send(sim, 'POST', JOBS, jobManifest('ok', 'sleep 1; echo done'));
    const j = await eventually('job ok to finish', finished('ok'));
    expect(conditionTypes(j)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(j.status).toMatchObject({ succeeded: 1, ready: 0, startTime: expect.any(String), completionTime: expect.any(String) });
    expect(j.status.conditions[1]).toMatchObject({ reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    const [pod] = podsOf('ok');
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'ok', uid: j.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(pod.status.phase).toBe('Succeeded');
    expect(sim.podLogs('default', pod.metadata.name)).toEqual(['done']);
  });

  it('retries failed pods and fails with BackoffLimitExceeded after backoffLimit', async () => {
    await send(sim, 'POST', JOBS, jobManifest('flaky', 'echo try; exit 1', { backoffLimit: 2 }));
    const j = await eventually('job flaky to finish', finished('flaky'));
    expect(conditionTypes(j)).toEqual(['FailureTarget', 'Failed']);
    expect(j.status.conditions[1]).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(j.status.failed).toBe(3);
    expect(podsOf('flaky').map((p) => p.status.phase)).toEqual(['Failed', 'Failed', 'Failed']);
  });

  it('counts container restarts as failures under restartPolicy OnFailure', async () => {
    await send(sim, 'POST', JOBS, jobManifest('onfailure', 'exit 2', { backoffLimit: 1 }, { restartPolicy: 'OnFailure' }));
    const j = await eventually('job onfailure to finish', finished('onfailure'));
    expect(j.status.conditions[1].reason).toBe('BackoffLimitExceeded');
    const podsCreated = sim.operations.filter((o) => o.verb === 'create' && o.kind === 'Pod' && o.name?.startsWith('onfailure-'));
    expect(podsCreated).toHaveLength(1);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and stops its pod', async () => {
    await send(sim, 'POST', JOBS, jobManifest('slow', 'sleep 600', { activeDeadlineSeconds: 2 }));
    const j = await eventually('job slow to finish', finished('slow'));
    expect(j.status.conditions[1]).toMatchObject({ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    await eventually('the slow pod to go', () => podsOf('slow').length === 0);
  });

  it('deletes a finished Job and its pods after ttlSecondsAfterFinished', async () => {
    await send(sim, 'POST', JOBS, jobManifest('ttl', 'echo bye', { ttlSecondsAfterFinished: 1 }));
    await eventually('job ttl to finish', finished('ttl'));
    await eventually('job ttl to be deleted', () => !job('ttl'));
    await eventually('its pods to be collected', () => podsOf('ttl').length === 0);
  });

  it('lets a container without command succeed after the default run time', async () => {
    await send(sim, 'POST', JOBS, jobManifest('plain', undefined));
    expect(conditionTypes(await eventually('job plain to finish', finished('plain')))).toContain('Complete');
  });

  it('records Events for the Job and its pod, as kubectl describe shows them', () => {
    const events = sim.list('v1', 'Event', 'default') as any[];
    const about = (name: string) => events.filter((e) => e.involvedObject.name === name).map((e) => `${e.type} ${e.reason} ${e.source.component}`);
    expect(about('ok')).toEqual(expect.arrayContaining(['Normal SuccessfulCreate job-controller', 'Normal Completed job-controller']));
    expect(about('flaky')).toContain('Warning BackoffLimitExceeded job-controller');
    const pod = podsOf('ok')[0].metadata.name;
    expect(about(pod).sort()).toEqual(['Normal Created kubelet', 'Normal Pulled kubelet', 'Normal Scheduled default-scheduler', 'Normal Started kubelet']);
  });

  it('records its writes under the controllers\' field managers', () => {
    const managers = new Set(sim.operations.filter((o) => !o.userAgent).map((o) => o.fieldManager));
    expect([...managers].sort()).toEqual(expect.arrayContaining(['kube-controller-manager', 'kubelet']));
    expect(sim.controllerErrors).toEqual([]);
  });
});
