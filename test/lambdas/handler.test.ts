import { withDefaultPollSeconds } from '../../lambdas/shared/handler';

describe('withDefaultPollSeconds', () => {
  const poll = { min: 5, max: 60 };
  it.each([
    ['no options', { input: { action: 'uninstall' } }, { input: { action: 'uninstall', options: { pollSeconds: poll } } }],
    ['options without pollSeconds', { input: { options: { wait: true } } }, { input: { options: { wait: true, pollSeconds: poll } } }],
    ['the input sets its own', { input: { options: { pollSeconds: { min: 1 } } } }, { input: { options: { pollSeconds: { min: 1 } } } }],
    ['options is not an object (validate reports it)', { input: { options: 'fast' } }, { input: { options: 'fast' } }],
    ['no input object', { input: 'text' }, { input: 'text' }],
  ])('%s', (_name, event, expected) => {
    expect(withDefaultPollSeconds(event, poll)).toEqual(expected);
  });

  it('leaves the event alone when the orchestrator sets no default', () => {
    const event = { input: { action: 'uninstall' } };
    expect(withDefaultPollSeconds(event, undefined)).toBe(event);
  });
});
