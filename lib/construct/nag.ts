/**
 * Acknowledging cdk-nag (AwsSolutions) findings this design accepts. Acknowledgements are construct
 * metadata read by cdk-nag 3 at synth (`Validations.of(app).addPlugins(new AwsSolutionsChecks(app))`);
 * the construct itself does not depend on cdk-nag.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Accept one finding on `scope` (and below), with the reason a reviewer reads. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * A policy resource as cdk-nag names it in a finding id (its utils/flatten-cfn-reference.ts):
 * `<Logical.Arn>/*` for an attribute, `arn:<AWS::Partition>:s3:::name/*` for a Ref in a join.
 */
export function nagResource(scope: IConstruct, value: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return visit(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as unknown[];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return visit(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${visit(o.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}
