/**
 * The `helm-sfn` command line: one file per command under ./commands, each exporting
 * `register(program)`. Commands return normally or throw; only bin/helm-sfn.ts sets the exit code.
 */
import { Command } from 'commander';
import { register as registerInstall } from './commands/install';
import { register as registerPlan } from './commands/plan';

export function buildProgram(): Command {
  const program = new Command('helm-sfn')
    .description('Helm release lifecycles as an AWS Step Functions workflow')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of [registerPlan, registerInstall]) register(program);
  return program;
}
