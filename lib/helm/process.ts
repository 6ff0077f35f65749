/**
 * The process plumbing every helm call shares: an isolated HOME, no shell, a timeout, helm's own
 * error message.
 */
import { execFile } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { ErrorName, HelmSfnError } from '../core/errors';

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Step Functions causes are capped at 32 KiB; a helm error is never worth more. */
const MAX_MESSAGE_CHARS = 4000;

export const valueArgs = (opts: { valuesFiles?: string[]; set?: string[] }): string[] => [
  ...(opts.valuesFiles ?? []).map((f) => `--values=${f}`),
  ...(opts.set ?? []).map((s) => `--set=${s}`),
];

/** A throw-away HOME and Helm directories, so the user's config never takes part. */
export const helmEnv = (home: string): NodeJS.ProcessEnv => ({
  HOME: home,
  HELM_CACHE_HOME: path.join(home, 'cache'),
  HELM_CONFIG_HOME: path.join(home, 'config'),
  HELM_DATA_HOME: path.join(home, 'data'),
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  TMPDIR: os.tmpdir(),
});

/**
 * Runs helm without a shell; failures become ChartRenderFailed with helm's own message. `stdin`
 * is for secrets (`--password-stdin`): a command line is readable by every local user.
 */
export function runHelm(helm: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = DEFAULT_TIMEOUT_MS, stdin?: string): Promise<{ stdout: string; stderr: string }> {
  const command = `helm ${args[0]}`;
  return new Promise((resolve, reject) => {
    const child = execFile(helm, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const message =
        e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
          ? `${command} output exceeds ${MAX_OUTPUT_BYTES / 1024 / 1024} MiB`
          : e.killed
            ? `${command} timed out after ${timeoutMs / 1000} s`
            : typeof e.code === 'string'
              ? `cannot run helm (${helm}): ${e.code}`
              : helmErrorMessage(stderr) || `${command} exited with code ${e.code}`;
      // No `cause`: its message holds the command line, and --set values may be secrets.
      reject(new HelmSfnError(ErrorName.ChartRenderFailed, message));
    });
    child.stdin?.on('error', () => undefined); // a helm that exits before reading fails above, with its own message
    child.stdin?.end(stdin);
  });
}

/**
 * Helm's message: from its last `Error: ` line on, without that prefix (stderr may hold warnings
 * first), and without the "Use --debug flag" advice nobody can follow through helm-sfn.
 */
export function helmErrorMessage(stderr: string): string {
  const text = stderr.replace(/^Use --debug flag.*$/gm, '').trim();
  const starts = [...text.matchAll(/^Error: /gm)];
  const last = starts[starts.length - 1];
  const message = last ? text.slice(last.index + 'Error: '.length).trim() : text;
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message;
}
