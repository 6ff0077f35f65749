import { ProgressPrinter } from '../../lib/cli/progress';
import type { ExecutionEvent } from '../../lib/local/runner';

const entered = (name: string, type: string) => ({ type: 'StateEntered', timestamp: 0, state: { name, type, input: null } }) as unknown as ExecutionEvent;
const exited = (name: string, hooks: { hook: string; state: string }[]) =>
  ({ type: 'StateExited', timestamp: 0, state: { name, type: 'Task', input: null, output: { hook: { hooks } } } }) as unknown as ExecutionEvent;

test('phases and each hook change, from the execution events alone (as a remote history gives them)', () => {
  const lines: string[] = [];
  const progress = new ProgressPrinter((line) => lines.push(line.replace(/^\[\s*[\d.]+s\] /, '').replace(/ after [\d.]+s$/, ' after Ns')));
  for (const e of [
    entered('Validate input', 'Task'),
    entered('Pre-install hooks', 'Pass'),
    entered('Pre-install: apply hook group', 'Task'),
    exited('Pre-install: apply hook group', [{ hook: 'ServiceAccount/sa', state: 'created' }, { hook: 'Job/backup', state: 'created' }]),
    entered('Pre-install: wait', 'Wait'),
    exited('Pre-install: poll hook group', [{ hook: 'ServiceAccount/sa', state: 'succeeded' }, { hook: 'Job/backup', state: 'running' }]),
    exited('Pre-install: poll hook group', [{ hook: 'ServiceAccount/sa', state: 'succeeded' }, { hook: 'Job/backup', state: 'failed' }]),
    entered('Record failure', 'Task'),
    entered('Release failed', 'Fail'),
  ]) {
    progress.onEvent(e);
  }
  expect(lines).toEqual([
    'Validate input',
    'Pre-install hooks',
    '  ServiceAccount/sa: created',
    '  Job/backup: created',
    '  ServiceAccount/sa: succeeded after Ns',
    '  Job/backup: running',
    '  Job/backup: failed after Ns',
    'Record failure',
    'Release failed',
  ]);
});
