/**
 * `helm-sfn demo` (what `npm start` runs): an embedded simulated cluster, then the seed's story
 * on examples/charts/wordpress — install with hooks, the real helm reading our records, and
 * uninstall — each run by the synthesized state machine, locally.
 */
import { execFile } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Command, InvalidArgumentError } from 'commander';
import { binaries } from '../../helm/binaries';
import { ClientNodeKubeClient, loadKubeConfig } from '../../kube/client-node';
import { startSimCluster } from '../../sim';
import { runAndReport } from '../run-local';

const CHART = path.resolve(__dirname, '..', '..', '..', 'examples', 'charts', 'wordpress');
const RELEASE = 'my-website';
const NAMESPACE = 'web';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run a release lifecycle of examples/charts/wordpress on an embedded simulated cluster')
    .option('--time-scale <x>', 'multiply simulated durations and poll waits (1 = real time)', positive, 0.25)
    .action(async (flags: { timeScale: number }) => {
      await demo(flags.timeScale);
    });
}

async function demo(timeScale: number): Promise<void> {
  const sim = await startSimCluster({ timeScale });
  const say = (text: string) => process.stderr.write(`\n== ${text}\n`);
  try {
    say(`simulated cluster at ${sim.url} (time scale ${timeScale}); kubeconfig ${sim.kubeconfigPath}`);
    await new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath })).apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
      { fieldManager: 'helm-sfn' },
    );
    const run = { output: 'table' as const, kubeconfig: sim.kubeconfigPath, waitScale: timeScale };

    say(`helm-sfn install ${RELEASE} examples/charts/wordpress -n ${NAMESPACE} --wait`);
    const options = { wait: true, timeoutSeconds: 300 };
    if (!(await runAndReport({ action: 'install', release: RELEASE, namespace: NAMESPACE, chart: { source: CHART }, options }, run))) return;

    const helm = helmCli(sim.kubeconfigPath);
    say(`helm list -n ${NAMESPACE}   (the real helm ${(await helm('version', '--short')).trim()} reads helm-sfn's release record)`);
    process.stdout.write(await helm('list', '-n', NAMESPACE));
    say(`helm history ${RELEASE} -n ${NAMESPACE}`);
    process.stdout.write(await helm('history', RELEASE, '-n', NAMESPACE));

    say(`helm-sfn uninstall ${RELEASE} -n ${NAMESPACE}`);
    await runAndReport({ action: 'uninstall', release: RELEASE, namespace: NAMESPACE }, run);
  } finally {
    await sim.stop();
  }
}

/** The real helm binary, with its own HOME so the user's helm config never leaks in. */
function helmCli(kubeconfig: string): (...args: string[]) => Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  return async (...args) => {
    const { stdout } = await promisify(execFile)(binaries().helm, args, { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig } });
    return stdout.trimEnd() + '\n';
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('must be a number above 0');
  return n;
}
