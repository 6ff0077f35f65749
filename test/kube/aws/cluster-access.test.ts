import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { ClusterAccess, containerSessionName, REFRESH_MARGIN_MS, roleSessionName } from '../../../lib/kube/aws/cluster-access';
import { presignedUrlOf } from '../../../lib/kube/aws/eks-token';
import type { ClusterRegistry } from '../../../lib/kube/aws/registry';

const sts = mockClient(STSClient);
const eks = mockClient(EKSClient);
const secrets = mockClient(SecretsManagerClient);

const ROLE = 'arn:aws:iam::111122223333:role/helm-sfn-deployer';
const SECRET = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:onprem-AbCdEf';
const REGISTRY: ClusterRegistry = {
  dev: { clusterName: 'dev' },
  prod: { clusterName: 'prod-eu', region: 'eu-west-1', roleArn: ROLE, externalId: 'helm-sfn-prod' },
  onprem: { endpoint: 'https://k8s.example.com:6443', caData: 'Q0E=', tokenSecretArn: SECRET },
};
const OWN = { accessKeyId: 'AKIAOWNFUNCTIONROLE1', secretAccessKey: 'own-secret', sessionToken: 'own-session' };

let now: Date;
const SESSION = 'helm-sfn-0123456789abcdef0123456789abcdef';
const access = () => new ClusterAccess(REGISTRY, { defaultRegion: 'us-east-1', sessionName: SESSION, clock: () => now, defaultCredentials: async () => OWN });
const assumed = (n: number, expiresInMs = 60 * 60_000) => ({
  Credentials: { AccessKeyId: `ASIAASSUMED${n}`, SecretAccessKey: `assumed-secret-${n}`, SessionToken: `assumed-session-${n}`, Expiration: new Date(now.getTime() + expiresInMs) },
});
const credentialOf = (token: string) => presignedUrlOf(token).searchParams.get('X-Amz-Credential');

beforeEach(() => {
  now = new Date('2026-11-24T10:00:00Z');
  sts.reset();
  eks.reset();
  secrets.reset();
  eks.on(DescribeClusterCommand).callsFake((input: { name: string }) => ({
    cluster: { name: input.name, status: 'ACTIVE', endpoint: `https://${input.name}.gr7.eks.amazonaws.com`, certificateAuthority: { data: 'LS0tLS1CRUdJTg==' } },
  }));
});

describe('EKS cluster in the same account', () => {
  it('describes the cluster and signs the token with the function’s own credentials', async () => {
    const connection = await access().connect('dev');
    expect(connection).toEqual({ server: 'https://dev.gr7.eks.amazonaws.com', caData: 'LS0tLS1CRUdJTg==', token: expect.stringMatching(/^k8s-aws-v1\./) });
    expect(eks.commandCalls(DescribeClusterCommand)[0].args[0].input).toEqual({ name: 'dev' });
    expect(credentialOf(connection.token)).toBe('AKIAOWNFUNCTIONROLE1/20261124/us-east-1/sts/aws4_request');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('EKS cluster through a role', () => {
  it('assumes the role with its external id, session name = the container, and signs with the assumed credentials', async () => {
    sts.on(AssumeRoleCommand).resolves(assumed(1));
    const connection = await access().connect('prod');
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({ RoleArn: ROLE, RoleSessionName: SESSION, ExternalId: 'helm-sfn-prod', DurationSeconds: 3600 });
    expect(credentialOf(connection.token)).toBe('ASIAASSUMED1/20261124/eu-west-1/sts/aws4_request');
    expect(presignedUrlOf(connection.token).searchParams.get('X-Amz-Security-Token')).toBe('assumed-session-1');
    expect(connection.server).toBe('https://prod-eu.gr7.eks.amazonaws.com');
  });

  it('caches the token until shortly before it expires, the role credentials and endpoint longer: one AssumeRole per container', async () => {
    let n = 0;
    sts.on(AssumeRoleCommand).callsFake(() => assumed(++n));
    const a = access();
    const first = await a.connect('prod');
    expect(await a.connect('prod')).toEqual(first);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);

    now = new Date(now.getTime() + 14 * 60_000 - REFRESH_MARGIN_MS + 1000); // inside the refresh margin of the 14-minute token
    const renewed = await a.connect('prod');
    expect(renewed.token).not.toBe(first.token);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1); // the role's credentials are still good for 49 minutes
  });

  it('refresh (the cluster said 401/403) assumes the role and describes the cluster again', async () => {
    let n = 0;
    sts.on(AssumeRoleCommand).callsFake(() => assumed(++n));
    const a = access();
    const first = await a.connect('prod');
    const renewed = await a.refresh('prod');
    expect(credentialOf(renewed.token)).not.toBe(credentialOf(first.token));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
    expect(await a.connect('prod')).toEqual(renewed);
  });

  it('renews early when the assumed credentials expire before the token would', async () => {
    let n = 0;
    sts.on(AssumeRoleCommand).callsFake(() => assumed(++n, 5 * 60_000));
    const a = access();
    const first = await a.connect('prod');
    now = new Date(now.getTime() + 5 * 60_000 - REFRESH_MARGIN_MS + 1000);
    const second = await a.connect('prod');
    expect(credentialOf(second.token)).not.toBe(credentialOf(first.token));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it.each([
    ['AccessDenied', 403, {}, 'AccessDenied'],
    ['ThrottlingException', 400, { $retryable: { throttling: true } }, 'KubeTransient'],
    ['InternalFailure', 500, {}, 'KubeTransient'],
  ])('an STS %s becomes %s naming the cluster', async (name, status, extra, expected) => {
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error(`not allowed to assume ${ROLE}`), { name, $metadata: { httpStatusCode: status }, ...extra }));
    await expect(access().connect('prod')).rejects.toMatchObject({ name: expected, message: expect.stringMatching(new RegExp(`^cluster "prod": ${name}: not allowed to assume`)) });
  });

  it('a cluster that does not exist is ClusterUnreachable, naming it', async () => {
    sts.on(AssumeRoleCommand).resolves(assumed(1));
    eks.on(DescribeClusterCommand).rejects(Object.assign(new Error('No cluster found for name: prod-eu.'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } }));
    await expect(access().connect('prod')).rejects.toMatchObject({ name: 'ClusterUnreachable', message: 'cluster "prod": ResourceNotFoundException: No cluster found for name: prod-eu.' });
  });
});

describe('cluster with an endpoint and a token secret', () => {
  it('reads the token from Secrets Manager (in the secret’s region) and caches it for five minutes', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'sa-token-1\n' });
    const a = access();
    expect(await a.connect('onprem')).toEqual({ server: 'https://k8s.example.com:6443', caData: 'Q0E=', token: 'sa-token-1' });
    await a.connect('onprem');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: SECRET });
    now = new Date(now.getTime() + 5 * 60_000 + 1);
    await a.connect('onprem');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refresh reads a rotated secret at once', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'sa-token-1' }).resolves({ SecretString: 'sa-token-2' });
    const a = access();
    expect((await a.connect('onprem')).token).toBe('sa-token-1');
    expect((await a.refresh('onprem')).token).toBe('sa-token-2');
    expect((await a.connect('onprem')).token).toBe('sa-token-2');
  });

  it('an empty secret is ClusterUnreachable, saying what it must hold', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(access().connect('onprem')).rejects.toMatchObject({ name: 'ClusterUnreachable', message: expect.stringMatching(/has no SecretString \(it must hold the bearer token as text\)/) });
  });
});

test('an unknown key is InvalidInput', async () => {
  await expect(access().connect('staging')).rejects.toMatchObject({ name: 'InvalidInput', message: 'cluster: "staging" is not in the orchestrator\'s cluster registry' });
});

test.each([
  ['event-6a7e8feb-b491-4cf7-a9f1-bf3703467718', 'event-6a7e8feb-b491-4cf7-a9f1-bf3703467718'],
  ['déploiement du lundi', 'd-ploiement-du-lundi'],
  ['x'.repeat(80), 'x'.repeat(64)],
  ['a', 'helm-sfn'],
  [undefined, 'helm-sfn'],
])('role session name of execution %j is %j', (name, session) => {
  expect(roleSessionName(name)).toBe(session);
});

test('the container session name is the id that ends the log stream name', () => {
  expect(containerSessionName('2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef', 'x')).toBe(SESSION);
  expect(containerSessionName(undefined, 'f00d')).toBe('helm-sfn-f00d');
});
