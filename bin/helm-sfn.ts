import { CommanderError } from 'commander';
import { HelmSfnError } from '../lib/core/errors';
import { buildProgram } from '../lib/cli/program';

/** Bad flags and known failures end with one line naming the problem; anything else keeps its stack. */
async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed the message
    if (e instanceof HelmSfnError) {
      process.stderr.write(`Error: ${e.name}: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return 1;
    }
    throw e;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
