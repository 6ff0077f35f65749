import { parseExecutionInput } from '../../../lib/core/input';
import { parseClusterRegistry, resolveClusterKey } from '../../../lib/kube/aws/registry';

const ROLE = 'arn:aws:iam::111122223333:role/helm-sfn-deployer';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:onprem-AbCdEf';

describe('parseClusterRegistry', () => {
  it('accepts EKS clusters (same account or through a role) and endpoint clusters', () => {
    const registry = {
      dev: { clusterName: 'dev' },
      prod: { clusterName: 'prod-eu', region: 'eu-west-1', roleArn: ROLE, externalId: 'helm-sfn-prod' },
      'cn.prod': { clusterName: 'prod', region: 'cn-north-1', roleArn: 'arn:aws-cn:iam::111122223333:role/d' },
      onprem: { endpoint: 'https://k8s.example.com:6443', caData: 'LS0tLS1CRUdJTiBDRVJU', tokenSecretArn: SECRET },
    };
    expect(parseClusterRegistry(registry, 'clusters')).toEqual(registry);
  });

  it('reports every problem at once, each with its place and rule', () => {
    expect(() =>
      parseClusterRegistry(
        {
          a: { clusterName: '-bad', region: 'Europe' },
          b: { endpoint: 'https://k', tokenSecretArn: 'my-secret', token: 'abc' },
          c: 'prod',
        },
        'clusters',
      ),
    ).toThrow(
      [
        'clusters.a.clusterName: must be an EKS cluster name (1-100 letters, digits, - and _, starting alphanumeric); got "-bad"',
        'clusters.a.region: must be an AWS region such as eu-west-1; got "Europe"',
        'clusters.b.tokenSecretArn: must be a Secrets Manager secret ARN; got "my-secret"',
        'clusters.b: unknown field "token"; an EKS cluster has clusterName, region, roleArn, externalId; another cluster has endpoint, caData, tokenSecretArn',
        'clusters.c: must be { clusterName, region?, roleArn?, externalId? } or { endpoint, caData?, tokenSecretArn }; got "prod"',
      ].join('\n'),
    );
  });

  it('skips values only deploy time can tell, when told which are tokens', () => {
    const isToken = (s: string) => s.startsWith('${Token[');
    expect(parseClusterRegistry({ prod: { clusterName: 'p', roleArn: '${Token[TOKEN.123]}' } }, 'clusters', isToken)).toBeDefined();
    expect(() => parseClusterRegistry({ prod: { clusterName: 'p', roleArn: '${Token[TOKEN.123]}' } }, 'clusters')).toThrow(/roleArn: must be an IAM role ARN/);
  });

  it('says what is missing', () => {
    expect(() => parseClusterRegistry({ prod: { region: 'eu-west-1' } }, 'clusters')).toThrow('clusters.prod.clusterName: missing; must be an EKS cluster name');
  });

  it('refuses a registry that is not an object', () => {
    expect(() => parseClusterRegistry(['prod'], 'HELM_SFN_CLUSTERS')).toThrow(/^HELM_SFN_CLUSTERS: must be an object of cluster key/);
  });

  it('accepts exactly the keys the execution input accepts as `cluster`', () => {
    for (const key of ['prod', 'prod-eu.1', 'A_b', '9', 'x'.repeat(63)]) {
      expect(() => parseClusterRegistry({ [key]: { clusterName: 'c' } }, 'clusters')).not.toThrow();
      expect(parseExecutionInput({ action: 'uninstall', release: 'r', namespace: 'n', cluster: key }).cluster).toBe(key);
    }
    for (const key of ['-prod', 'prod eu', 'x'.repeat(64), '']) {
      expect(() => parseClusterRegistry({ [key]: { clusterName: 'c' } }, 'clusters')).toThrow(/cluster key .* must be letters/);
      expect(() => parseExecutionInput({ action: 'uninstall', release: 'r', namespace: 'n', cluster: key })).toThrow(/^cluster:/);
    }
  });
});

describe('resolveClusterKey', () => {
  const one = { prod: { clusterName: 'prod' } };
  const two = { ...one, dev: { clusterName: 'dev' } };
  it.each<[string, Record<string, { clusterName: string }>, string | undefined, string | RegExp]>([
    ['the named key', two, 'dev', 'dev'],
    ['the only key when none is named', one, undefined, 'prod'],
    ['an error naming the known keys for an unknown key', two, 'staging', /^cluster: "staging" is not in the orchestrator's cluster registry \(known: prod, dev\)$/],
    ['an error when several clusters and none named', two, undefined, /^cluster: missing; required when the orchestrator has 2 clusters \(known: prod, dev\)$/],
    ['an error when the registry is empty', {}, undefined, /^cluster: missing; required when the orchestrator has no clusters \(the orchestrator's registry is empty\)$/],
    ['no prototype keys', one, 'constructor', /"constructor" is not in/],
  ])('gives %s', (_name, registry, key, expected) => {
    if (typeof expected === 'string') expect(resolveClusterKey(registry, key)).toBe(expected);
    else expect(() => resolveClusterKey(registry, key)).toThrow(expected);
  });
});
