/**
 * The cluster and namespace of a command, as helm picks them: `--kubeconfig` (else $KUBECONFIG,
 * else ~/.kube/config), `--kube-context` (else the current context), `-n` (else the context's
 * namespace, else "default").
 */
import type { Command } from 'commander';
import { existsSync } from 'fs';
import { homedir } from 'os';
import * as path from 'path';

export interface KubeFlags {
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
}

export const withKubeFlags = (cmd: Command): Command =>
  cmd
    .option('-n, --namespace <ns>', "namespace scope for this request (default: the kube context's namespace, else \"default\")")
    .option('--kube-context <name>', 'name of the kubeconfig context to use (default: its current-context)')
    .option('--kubeconfig <file>', 'path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)');

/** `-n`, else the kube context's namespace, else "default". A kubeconfig that is named but unreadable is an error. */
export function namespaceOf(flags: KubeFlags): string {
  if (flags.namespace) return flags.namespace;
  const anyKubeconfig = flags.kubeconfig !== undefined || Boolean(process.env.KUBECONFIG) || existsSync(path.join(homedir(), '.kube', 'config'));
  if (!anyKubeconfig && flags.kubeContext === undefined) return 'default';
  // client-node loads here, not at import: `--help` stays fast (test/cli/startup.test.ts)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { contextNamespace } = require('../kube/client-node') as typeof import('../kube/client-node');
  return contextNamespace({ kubeconfigPath: flags.kubeconfig, context: flags.kubeContext }) ?? 'default';
}
