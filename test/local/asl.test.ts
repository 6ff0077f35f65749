import { extractStateMachines, functionKey, lambdaFunctions, resolveIntrinsics, type CfnTemplate, type Json } from '../../lib/local/asl';
import { NOTIFIER_ARN, synthFixture } from './fixture-stack';

// asl-validator 4 ships no .d.ts; it also writes QueryLanguage into the definition it is given.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator: (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string } = require('asl-validator');

const template = synthFixture();

describe('extractStateMachines', () => {
  const [workflow, ...others] = extractStateMachines(template);
  const functions = lambdaFunctions(template);
  const arnOf = (path: string) => functions.find((f) => f.constructPath === path)?.arn;

  it('returns the state machine with its construct path and a plain JSON definition', () => {
    expect(others).toEqual([]);
    expect(workflow.logicalId).toMatch(/^Workflow[0-9A-F]{8}$/);
    expect(workflow.constructPath).toBe('LocalRunnerTest/Workflow');
    expect(JSON.stringify(workflow.definition)).not.toMatch(/Fn::|"Ref"/);
    expect(workflow.definition.TimeoutSeconds).toBe(3600);
  });

  it('puts the fake ARN of each function where the template referenced it', () => {
    const states = workflow.definition.States;
    const applyProcessor = states.ApplyGroups.ItemProcessor as { States: Record<string, { Resource: string }> };
    expect(applyProcessor.States.ApplyGroup.Resource).toBe(arnOf('LocalRunnerTest/ApplyFn'));
    expect(states.PollGroup.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(states.PollGroup.Parameters).toEqual({ FunctionName: arnOf('LocalRunnerTest/PollFn'), 'Payload.$': '$' });
    expect(states.Cleanup.Resource).toBe(arnOf('LocalRunnerTest/CleanupFn'));
    expect(JSON.stringify(states.Finalize)).toContain(NOTIFIER_ARN);
  });

  it('yields a definition asl-validator 4 accepts', () => {
    const verdict = aslValidator(structuredClone(workflow.definition));
    expect(verdict.errorsText()).toBe('');
    expect(verdict.isValid).toBe(true);
  });

  it('substitutes DefinitionSubstitutions and leaves unknown ${keys} alone', () => {
    const handmade: CfnTemplate = {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'named-fn' } },
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${FnArn}","Comment":"${Other}","End":true}}}',
            DefinitionSubstitutions: { FnArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
          },
        },
      },
    };
    const [{ definition, constructPath }] = extractStateMachines(handmade);
    expect(constructPath).toBeUndefined();
    expect(definition.States.A).toMatchObject({ Resource: 'arn:aws:lambda:us-east-1:123456789012:function:named-fn', Comment: '${Other}' });
  });

  it('fails on a definition stored in S3, naming the resource', () => {
    const s3: CfnTemplate = { Resources: { M: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionS3Location: {} } } } };
    expect(() => extractStateMachines(s3)).toThrow(/Resources\.M\.Properties: .*DefinitionS3Location/);
  });
});

describe('lambdaFunctions', () => {
  it('maps every function logical id to its construct path, function name and fake ARN', () => {
    const byPath = Object.fromEntries(lambdaFunctions(template).map((f) => [f.constructPath, f]));
    expect(Object.keys(byPath).sort()).toEqual(['LocalRunnerTest/ApplyFn', 'LocalRunnerTest/CleanupFn', 'LocalRunnerTest/PollFn']);
    const apply = byPath['LocalRunnerTest/ApplyFn'];
    expect(apply.functionName).toBe(apply.logicalId);
    expect(apply.arn).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${apply.logicalId}`);
  });
});

describe('resolveIntrinsics', () => {
  const resources: CfnTemplate = {
    Resources: {
      Fn: { Type: 'AWS::Lambda::Function' },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'jobs' } },
      Machine: { Type: 'AWS::StepFunctions::StateMachine' },
      Table: { Type: 'AWS::DynamoDB::Table' },
    },
    Parameters: { Stage: { Default: 'prod' } },
  };

  it.each<[string, Json, Json]>([
    ['Ref of a function: its name', { Ref: 'Fn' }, 'Fn'],
    ['Ref of a queue: its URL', { Ref: 'Queue' }, 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs'],
    ['Ref of a state machine: its ARN', { Ref: 'Machine' }, 'arn:aws:states:us-east-1:123456789012:stateMachine:Machine'],
    ['Ref of a parameter: its Default', { Ref: 'Stage' }, 'prod'],
    ['Ref of a pseudo parameter', { Ref: 'AWS::Partition' }, 'aws'],
    ['GetAtt Arn, shaped by type', { 'Fn::GetAtt': ['Table', 'Arn'] }, 'arn:aws:dynamodb:us-east-1:123456789012:table/Table'],
    ['GetAtt in dotted form', { 'Fn::GetAtt': 'Queue.QueueName' }, 'jobs'],
    ['Join', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:::lambda:invoke']] }, 'arn:aws:states:::lambda:invoke'],
    ['Sub with variables, pseudo parameters, attributes and escapes', { 'Fn::Sub': ['${X}/${AWS::Region}/${Fn.Arn}/${!Keep}', { X: { Ref: 'Stage' } }] },
      'prod/us-east-1/arn:aws:lambda:us-east-1:123456789012:function:Fn/${Keep}'],
    ['Select', { 'Fn::Select': [1, ['a', { Ref: 'Fn' }]] }, 'Fn'],
    ['nested inside plain objects and arrays', { a: [{ Ref: 'AWS::AccountId' }], b: 1 }, { a: ['123456789012'], b: 1 }],
  ])('%s', (_case, value, expected) => {
    expect(resolveIntrinsics(value, resources)).toEqual(expected);
  });

  it.each<[string, Json, RegExp]>([
    ['an unsupported intrinsic', { x: { 'Fn::ImportValue': 'Shared' } }, /^\$\.x\.Fn::ImportValue: intrinsic Fn::ImportValue is not supported/],
    ['a Ref to a missing resource', { Ref: 'Nope' }, /^\$\.Ref: refers to 'Nope', which is not a resource/],
    ['a Select out of range', { 'Fn::Select': [2, ['a']] }, /^\$\.Fn::Select: expects \[index, list\]/],
  ])('fails on %s, naming the place', (_case, value, message) => {
    expect(() => resolveIntrinsics(value, resources)).toThrow(message);
  });
});

describe('functionKey', () => {
  it.each([
    ['my-fn', 'my-fn'],
    ['my-fn:live', 'my-fn'],
    ['123456789012:function:my-fn', 'my-fn'],
    ['arn:aws:lambda:us-east-1:123456789012:function:my-fn', 'my-fn'],
    ['arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST', 'my-fn'],
  ])('%s -> %s', (reference, key) => {
    expect(functionKey(reference)).toBe(key);
  });
});
