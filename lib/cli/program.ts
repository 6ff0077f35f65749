/**
 * The `helm-sfn` command line: one file per command under ./commands, each exporting
 * `register(program)`. Commands return normally or throw; only bin/helm-sfn.ts sets the exit code.
 * Registering a command loads only what its flags need: aws-cdk-lib, the AWS SDK, client-node,
 * aws-local-stepfunctions and the sim load when an action runs (test/cli/startup.test.ts).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { packageRoot } from '../build/artifacts';
import { register as registerDemo } from './commands/demo';
import { register as registerInstall } from './commands/install';
import { register as registerLifecycle } from './commands/lifecycle';
import { register as registerPlan } from './commands/plan';
import { register as registerRecords } from './commands/records';
import { register as registerSim } from './commands/sim';

export function buildProgram(): Command {
  const program = new Command('helm-sfn')
    .description('Helm release lifecycles as an AWS Step Functions workflow')
    .version(packageVersion(), '--version', 'print the version of helm-sfn')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of [registerPlan, registerInstall, registerLifecycle, registerRecords, registerSim, registerDemo]) register(program);
  return program;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
