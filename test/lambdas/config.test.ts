import { readLambdaConfig } from '../../lambdas/shared/config';

describe('readLambdaConfig', () => {
  it('reads the registry, bus, poll defaults and helm binary from the environment', () => {
    expect(
      readLambdaConfig({
        AWS_REGION: 'eu-west-1',
        HELM_SFN_CLUSTERS: '{"prod":{"clusterName":"prod"}}',
        HELM_SFN_EVENT_BUS: 'releases',
        HELM_SFN_POLL_SECONDS: '{"min":5}',
        AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
      }),
    ).toEqual({
      region: 'eu-west-1',
      clusters: { prod: { clusterName: 'prod' } },
      eventBus: 'releases',
      pollSeconds: { min: 5 },
      helmBinary: '/opt/helm/helm',
      sessionName: 'helm-sfn-0123456789abcdef0123456789abcdef',
    });
  });

  it.each([
    [{ HELM_SFN_CLUSTERS: '{prod' }, /environment variable HELM_SFN_CLUSTERS: must be JSON/],
    [{ HELM_SFN_CLUSTERS: '{"prod":{"clusterName":"prod","token":"x"}}' }, /HELM_SFN_CLUSTERS\.prod: unknown field "token"/],
  ])('fails on a bad environment, naming the variable: %j', (env, message) => {
    expect(() => readLambdaConfig(env)).toThrow(message);
  });
});
