/**
 * The `helm-sfn` command line: one file per command under ./commands, each exporting
 * `register(program)`. Commands return normally or throw. A command that ran an execution sets
 * process.exitCode from its outcome (run-execution.ts, demo); bin/helm-sfn.ts turns what they
 * throw into one line and an exit code.
 * Registering a command loads only what its flags need: aws-cdk-lib, the AWS SDK, client-node,
 * aws-local-stepfunctions and the sim load when an action runs (test/cli/startup.test.ts).
 */
import { Command } from 'commander';
import { register as registerDemo } from './commands/demo';
import { register as registerHistory } from './commands/history';
import { register as registerInstall } from './commands/install';
import { register as registerList } from './commands/list';
import { register as registerPlan } from './commands/plan';
import { register as registerRollback } from './commands/rollback';
import { register as registerSim } from './commands/sim';
import { register as registerStatus } from './commands/status';
import { register as registerTest } from './commands/test';
import { register as registerUninstall } from './commands/uninstall';
import { register as registerUnlock } from './commands/unlock';
import { register as registerUpgrade } from './commands/upgrade';
import { register as registerVersion } from './commands/version';
import { programVersion } from './version';

const COMMANDS = [registerPlan, registerInstall, registerUpgrade, registerRollback, registerUninstall, registerTest, registerStatus, registerHistory, registerList, registerUnlock, registerSim, registerDemo, registerVersion];

export function buildProgram(): Command {
  const program = new Command('helm-sfn')
    .description('Helm release lifecycles as an AWS Step Functions workflow')
    .version(programVersion(), '--version', 'print the helm-sfn version')
    // root options only before the subcommand: `install … --version <chart version>` stays the subcommand's
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}
