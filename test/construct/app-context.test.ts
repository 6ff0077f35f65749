import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { settingsFromContext } from '../../lib/construct/app-context';

const from = (context: Record<string, unknown>) => settingsFromContext((key) => context[key]);

describe('settingsFromContext', () => {
  it('defaults: stack HelmSfn, no nag, no clusters', () => {
    expect(from({})).toEqual({ stackName: 'HelmSfn', nag: false, orchestrator: { clusters: undefined, events: {} } });
  });

  it('reads JSON objects from cdk.json and JSON strings from -c alike', () => {
    const clusters = { prod: { clusterName: 'prod', roleArn: 'arn:aws:iam::111122223333:role/d' } };
    expect(from({ 'helm-sfn:clusters': clusters }).orchestrator.clusters).toEqual(clusters);
    expect(from({ 'helm-sfn:clusters': JSON.stringify(clusters) }).orchestrator.clusters).toEqual(clusters);
  });

  it('reads every setting', () => {
    const settings = from({
      'helm-sfn:stackName': 'Releases',
      'helm-sfn:nag': 'true',
      'helm-sfn:logLevel': 'DEBUG',
      'helm-sfn:tracing': 'false',
      'helm-sfn:logExecutionData': true,
      'helm-sfn:eventBusName': 'releases',
      'helm-sfn:allowedAccounts': '111122223333, 444455556666',
      'helm-sfn:organizationId': 'o-abcdefghij',
      'helm-sfn:imageUpdates': '[{"repositoryName":"web","release":"web","namespace":"web","chart":{"source":"s3://b/c.tgz"}}]',
      'helm-sfn:pollSeconds': '{"min":5}',
    });
    expect(settings).toEqual({
      stackName: 'Releases',
      nag: true,
      orchestrator: {
        clusters: undefined,
        logLevel: 'DEBUG',
        tracing: false,
        executionLogging: { level: sfn.LogLevel.ALL, includeExecutionData: true },
        events: { eventBusName: 'releases', allowedAccounts: ['111122223333', '444455556666'], allowedOrganizationId: 'o-abcdefghij' },
        imageUpdates: [{ repositoryName: 'web', release: 'web', namespace: 'web', chart: { source: 's3://b/c.tgz' } }],
        pollSeconds: { min: 5 },
      },
    });
  });

  it.each([
    ['helm-sfn:clusters', '{"prod":', /context helm-sfn:clusters: must be valid JSON/],
    ['helm-sfn:clusters', '["prod"]', /context helm-sfn:clusters: must be a JSON object; got \["prod"\]/],
    ['helm-sfn:logLevel', 'LOUD', /context helm-sfn:logLevel: must be one of DEBUG, INFO, WARN, ERROR; got "LOUD"/],
    ['helm-sfn:nag', 'yes', /context helm-sfn:nag: must be true or false; got "yes"/],
    ['helm-sfn:imageUpdates', '{}', /context helm-sfn:imageUpdates: must be a JSON array/],
  ])('fails on %s=%s naming the key and the rule', (key, value, message) => {
    expect(() => from({ [key]: value })).toThrow(message);
  });
});
