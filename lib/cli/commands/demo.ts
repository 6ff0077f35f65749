/**
 * `helm-sfn demo` (what `npm start` runs): an embedded simulated cluster, then the seed's story
 * on examples/charts/wordpress — install; upgrade (the backup hook runs); an upgrade whose smoke
 * test fails, rolled back by --atomic; history; test; uninstall — each run by the synthesized
 * state machine, locally, with the real helm reading the records in between.
 */
import { execFile } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Command, InvalidArgumentError } from 'commander';
import { packageRoot } from '../../build/artifacts';
import { findHelm } from '../../helm/helm-binary';
import { runAndReport } from '../run-execution';

const CHART = path.join(packageRoot(), 'examples', 'charts', 'wordpress');
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
  // loaded by the command, not its registration: `--help` stays fast (test/cli/startup.test.ts)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startSimCluster } = require('../../sim') as typeof import('../../sim');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ClientNodeKubeClient, loadKubeConfig } = require('../../kube/client-node') as typeof import('../../kube/client-node');
  const sim = await startSimCluster({ timeScale });
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  const say = (text: string) => process.stderr.write(`\n== ${text}\n`);
  try {
    say(`simulated cluster at ${sim.url} (time scale ${timeScale}); kubeconfig ${sim.kubeconfigPath}`);
    await new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath })).apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
      { fieldManager: 'helm-sfn' },
    );
    const run = { output: 'table' as const, kubeconfig: sim.kubeconfigPath, waitScale: timeScale };

    const release = { release: RELEASE, namespace: NAMESPACE };
    const step = async (title: string, input: Record<string, unknown>) => {
      say(title);
      return runAndReport({ ...release, ...input }, run);
    };
    if (!(await step(`helm-sfn install ${RELEASE} examples/charts/wordpress -n ${NAMESPACE} --wait`, { action: 'install', chart: { source: CHART }, options: { wait: true } }))) return;

    const helm = helmCli(sim.kubeconfigPath, home);
    say(`helm list -n ${NAMESPACE}   (the real helm ${(await helm('version', '--short')).trim()} reads helm-sfn's release record)`);
    process.stdout.write(await helm('list', '-n', NAMESPACE));

    await step(`helm-sfn upgrade ${RELEASE} … --set image.tag=6.7-apache   (the pre-upgrade backup runs first)`, {
      action: 'upgrade',
      chart: { source: CHART },
      set: ['image.tag=6.7-apache'],
      options: { wait: true },
    });
    await step(`helm-sfn upgrade ${RELEASE} … --reuse-values --set smokeTest.fail=true --atomic   (the smoke test fails: rolled back)`, {
      action: 'upgrade',
      chart: { source: CHART },
      set: ['smokeTest.fail=true'],
      options: { wait: true, atomic: true, reuseValues: true },
    });
    process.exitCode = 0; // that failure was the point of the story

    say(`helm history ${RELEASE} -n ${NAMESPACE}`);
    process.stdout.write(await helm('history', RELEASE, '-n', NAMESPACE));

    await step(`helm-sfn test ${RELEASE} --logs`, { action: 'test' });
    await step(`helm-sfn uninstall ${RELEASE} -n ${NAMESPACE}`, { action: 'uninstall' });
  } finally {
    await sim.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/** The real helm binary, with its own HOME so the user's helm config never leaks in. */
function helmCli(kubeconfig: string, home: string): (...args: string[]) => Promise<string> {
  return async (...args) => {
    const { stdout } = await promisify(execFile)((await findHelm()).path, args, { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig } });
    return stdout.trimEnd() + '\n';
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('must be a number above 0');
  return n;
}
