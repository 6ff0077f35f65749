/**
 * The task handler's failure log: Powertools `logger.error(message, error)`, so the stack and the
 * nested cause (the API's answer under a KubeTransient) reach CloudWatch — with values redacted.
 */
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import type { AwsDeps } from '../../lambdas/shared/deps';
import type { LambdaConfig } from '../../lambdas/shared/config';
import { makeHandler } from '../../lambdas/shared/handler';
import { logger } from '../../lambdas/shared/powertools';
import { engineHarness } from '../support/fake-engine';

test('a failed task is logged with its stack and its cause chain, values redacted, and rethrown as it was', async () => {
  const h = engineHarness();
  const api = Object.assign(new Error('secrets "x" is invalid: data: Invalid value: "hunter2": bad'), { code: 422, status: { message: 'Invalid value: "hunter2"' } });
  h.kube.failOn({ verb: 'list' }, new HelmSfnError(ErrorName.KubeTransient, 'list Secret in web: HTTP 503', { cause: api }));
  const runtime = { config: {} as LambdaConfig, deps: { forInvocation: () => h.deps } as unknown as AwsDeps };
  const lines: string[] = [];
  // Powertools prints each log line (JSON) with its own Console's method of the level
  const printer = (logger as unknown as { console: Console }).console;
  const write = jest.spyOn(printer, 'error').mockImplementation((line: string) => void lines.push(line));
  logger.setLogLevel('ERROR');
  try {
    const ctx = { action: 'uninstall', release: 'site', namespace: 'web', options: { timeoutSeconds: 300 } };
    await expect(makeHandler('prepare', () => runtime)({ ctx })).rejects.toMatchObject({ name: 'KubeTransient', message: 'list Secret in web: HTTP 503' });
  } finally {
    write.mockRestore();
    logger.setLogLevel('SILENT');
  }
  const log = JSON.parse(lines.find((l) => l.includes('task failed'))!);
  expect(log).toMatchObject({
    level: 'ERROR',
    message: 'task failed',
    task: 'prepare',
    release: 'site',
    error: { name: 'KubeTransient', message: 'list Secret in web: HTTP 503', cause: { message: 'secrets "x" is invalid: data: Invalid value: <redacted>: bad', code: 422 } },
  });
  expect(JSON.stringify(log.error.stack)).toContain('at ');
  expect(lines.join('')).not.toContain('hunter2');
});
