/**
 * Engine deps inside Lambda. The cluster comes from the kubeconfig the function is given
 * (KUBECONFIG); EKS token auth and the cluster registry are added with the AWS deployment work.
 */
import { setTimeout as sleep } from 'timers/promises';
import type { TaskName } from '../../lib/core/contract';
import type { EngineDeps } from '../../lib/engine';
import { ClientNodeKubeClient, loadKubeConfig } from '../../lib/kube/client-node';
import { HelmCliRenderer, localPath } from '../../lib/helm/renderer';

export async function lambdaDeps(task: TaskName): Promise<EngineDeps> {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    console.log(JSON.stringify({ level, task, message, ...fields }));
  return {
    kube: new ClientNodeKubeClient(loadKubeConfig()),
    renderer: new HelmCliRenderer(process.env.HELM_BINARY ?? '/opt/helm/helm'),
    fetch: localPath,
    clock: () => new Date(),
    logger: { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') },
    sleep: (ms) => sleep(ms),
  };
}
