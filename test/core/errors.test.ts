import { ErrorName, HelmSfnError, isHelmSfnError } from '../../lib/core/errors';

test('an error carries its contract name, which Step Functions matches on', () => {
  const e = new HelmSfnError(ErrorName.ReleaseLocked, 'another operation (install/upgrade/rollback) is in progress');
  expect(e.name).toBe('ReleaseLocked');
  expect(isHelmSfnError(e, ErrorName.ReleaseLocked)).toBe(true);
  expect(isHelmSfnError(e, ErrorName.HookFailed)).toBe(false);
  expect(isHelmSfnError(new Error('x'))).toBe(false);
});
