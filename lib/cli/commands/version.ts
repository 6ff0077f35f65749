/** `helm-sfn version`: this program's version (root `--version` prints the same). */
import type { Command } from 'commander';
import { programVersion } from '../version';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the helm-sfn version')
    .action(() => {
      process.stdout.write(`${programVersion()}\n`);
    });
}
