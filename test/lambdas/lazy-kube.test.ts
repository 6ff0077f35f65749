/** The Lambda's kube client: connects on first use; a 401/403 renews the credentials once and repeats the call. */
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import type { KubeClient } from '../../lib/kube/client';
import { LazyKubeClient } from '../../lambdas/shared/lazy-kube';

/** What the adapter throws for a refused token: ClusterUnreachable caused by the API's 401/403 answer. */
const refused = (code: number) => new HelmSfnError(ErrorName.ClusterUnreachable, `get server version: ${code === 401 ? 'Unauthorized' : 'Forbidden'}`, { cause: { code } });

function client(token: string, accepted: () => string, calls: string[]): KubeClient {
  return {
    serverVersion: async () => {
      calls.push(token);
      if (token !== accepted()) throw refused(401);
      return 'v1.34.0';
    },
  } as unknown as KubeClient;
}

test('no call, no connection', () => {
  const connect = jest.fn();
  new LazyKubeClient(connect, connect);
  expect(connect).not.toHaveBeenCalled();
});

test('a refused token is renewed once and the refused request repeated with the new one', async () => {
  const calls: string[] = [];
  let current = 'new';
  const kube = new LazyKubeClient(async () => client('old', () => current, calls), async () => client('new', () => current, calls));
  await expect(kube.serverVersion()).resolves.toBe('v1.34.0');
  expect(calls).toEqual(['old', 'new']);
  await kube.serverVersion();
  expect(calls).toEqual(['old', 'new', 'new']);

  current = 'newer'; // rotated again within one invocation: renewed only once, then the error stands
  await expect(kube.serverVersion()).rejects.toMatchObject({ name: 'ClusterUnreachable' });
});

test('other failures are not retried', async () => {
  const reconnect = jest.fn();
  const failing = { serverVersion: async () => Promise.reject(new HelmSfnError(ErrorName.ApplyFailed, 'conflict', { cause: { code: 409 } })) } as unknown as KubeClient;
  await expect(new LazyKubeClient(async () => failing, reconnect).serverVersion()).rejects.toMatchObject({ name: 'ApplyFailed' });
  expect(reconnect).not.toHaveBeenCalled();
});
