import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '../../lambdas/shared/powertools';
import { executionNameForEvent, makeStartHandler } from '../../lambdas/shared/start';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:HelmRelease';
const EVENT_ID = '6a7e8feb-b491-4cf7-a9f1-bf3703467718';
const input = { action: 'upgrade', release: 'web', namespace: 'web', chart: { source: 's3://charts-bucket/web.tgz' } };
const start = makeStartHandler(() => MACHINE, new SFNClient({ region: 'eu-west-1' }));

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => sfn.reset());

test('starts the state machine with the detail as input and a name derived from the event id', async () => {
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE.replace('stateMachine', 'execution')}:event-${EVENT_ID}`, startDate: new Date() });
  const outcome = await start({ eventId: EVENT_ID, input, source: 'team.pipeline', account: '444455556666' });
  expect(outcome).toEqual({ duplicate: false, executionArn: expect.stringMatching(/:event-6a7e8feb-b491-4cf7-a9f1-bf3703467718$/) });
  expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toEqual({ stateMachineArn: MACHINE, name: `event-${EVENT_ID}`, input: JSON.stringify(input) });
});

test('a redelivered event maps to the same name, which Step Functions refuses: no second operation, no error', async () => {
  sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
  await expect(start({ eventId: EVENT_ID, input })).resolves.toEqual({ duplicate: true, name: `event-${EVENT_ID}` });
});

test('a redelivery while the execution runs gets the running execution back (same name and input): logged as a duplicate, not a second start', async () => {
  const startDate = new Date(Date.now() - 60_000);
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE.replace('stateMachine', 'execution')}:event-${EVENT_ID}`, startDate });
  const lines: string[] = [];
  const info = jest.spyOn(logger, 'info').mockImplementation((...args) => void lines.push(String(args[0])));
  try {
    await expect(start({ eventId: EVENT_ID, input })).resolves.toEqual({ duplicate: true, name: `event-${EVENT_ID}` });
  } finally {
    info.mockRestore();
  }
  expect(lines).toEqual(['duplicate event: its execution is already running']);
});

test('other failures are thrown, so EventBridge retries the delivery', async () => {
  sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  await expect(start({ eventId: EVENT_ID, input })).rejects.toThrow('Rate exceeded');
});

test.each([
  [EVENT_ID, `event-${EVENT_ID}`],
  ['a:b/c d', 'event-a-b-c-d'],
  ['x'.repeat(100), `event-${'x'.repeat(74)}`],
])('execution name for event id %s', (id, name) => {
  expect(executionNameForEvent(id)).toBe(name);
});
