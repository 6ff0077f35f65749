import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ClusterDeployerRole, type ClusterDeployerRoleProps } from '../../lib/construct/cluster-deployer-role';

const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const ORCHESTRATOR_ROLE = 'arn:aws:iam::123456789012:role/HelmSfn-OrchestratorTaskRoleE6D99898-AbC';

function synth(props: Partial<ClusterDeployerRoleProps>) {
  const app = new App();
  const stack = new Stack(app, 'Target', { env: { account: '111122223333', region: 'eu-west-1' } });
  const deployer = new ClusterDeployerRole(stack, 'Deployer', { clusterName: 'prod-eu', orchestratorRoleArn: ORCHESTRATOR_ROLE, ...props });
  return { deployer, template: Template.fromStack(stack) };
}

describe('ClusterDeployerRole', () => {
  const { template } = synth({ namespaces: ['web', 'shop'], externalId: 'helm-sfn-prod', roleName: 'helm-sfn-deployer' });

  it('trusts the orchestrator’s account only when the caller is its task role, presenting the external id', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'helm-sfn-deployer',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: arn(':iam::123456789012:root') },
            Condition: { ArnEquals: { 'aws:PrincipalArn': ORCHESTRATOR_ROLE }, StringEquals: { 'sts:ExternalId': 'helm-sfn-prod' } },
          },
        ],
      },
    });
  });

  it('may describe its cluster and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'eks:DescribeCluster', Effect: 'Allow', Resource: arn(':eks:eu-west-1:111122223333:cluster/prod-eu') }] },
    });
  });

  it('maps the role to EKS admin of the given namespaces', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'prod-eu',
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeployerRole'), 'Arn'] },
      Type: 'STANDARD',
      AccessPolicies: [{ PolicyArn: arn(':eks::aws:cluster-access-policy/AmazonEKSAdminPolicy'), AccessScope: { Type: 'namespace', Namespaces: ['web', 'shop'] } }],
    });
  });

  it('grants cluster admin only when asked', () => {
    synth({ clusterAdmin: true }).template.hasResourceProperties('AWS::EKS::AccessEntry', {
      AccessPolicies: [{ PolicyArn: arn(':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy'), AccessScope: { Type: 'cluster' } }],
    });
  });

  it('without an external id, trusts on the principal condition alone', () => {
    synth({ namespaces: ['web'] }).template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Condition: { ArnEquals: { 'aws:PrincipalArn': ORCHESTRATOR_ROLE } } })] },
    });
  });

  it.each<[string, Partial<ClusterDeployerRoleProps>, RegExp]>([
    ['no namespaces and no cluster admin', {}, /namespaces: must list at least one namespace, unless clusterAdmin is true; got \[\]/],
    ['namespaces with cluster admin', { clusterAdmin: true, namespaces: ['web'] }, /namespaces: must be empty with clusterAdmin/],
    ['a bad namespace', { namespaces: ['Web'] }, /namespaces\[0\]: must be a DNS-1123 label.*got "Web"/],
    ['a user instead of a role', { namespaces: ['web'], orchestratorRoleArn: 'arn:aws:iam::123456789012:user/me' }, /orchestratorRoleArn: must be an IAM role ARN/],
    ['a short external id', { namespaces: ['web'], externalId: 'x' }, /externalId: must be 2-1224 characters/],
  ])('fails on %s, naming the prop and the rule', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('fails on a role ARN token: its account must be known to write the trust policy', () => {
    const app = new App();
    const stack = new Stack(app, 'T');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => new ClusterDeployerRole(stack, 'D', { clusterName: 'c', namespaces: ['web'], orchestratorRoleArn: role.roleArn })).toThrow(/^T\/D: orchestratorRoleArn: must be a literal ARN/);
  });
});
