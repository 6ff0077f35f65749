/**
 * Turn a synthesized CloudFormation template (`Template.fromStack(stack).toJSON()` or
 * `cdk.out/<Stack>.template.json`) into plain ASL: the intrinsics CDK emits in a state machine
 * definition are resolved with fake but valid names and ARNs, shaped by the referenced resource's
 * type, so the local runner executes exactly the definition that gets deployed.
 */
import { ErrorName, HelmSfnError } from '../core/errors';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

export type AslState = JsonObject & { Type: string };
export type AslDefinition = JsonObject & { StartAt: string; States: Record<string, AslState> };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly Metadata?: JsonObject;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Default?: Json }>;
}

/** The account, region and stack the fake names and ARNs are made in. */
export interface FakeEnv {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
}

export const FAKE_ENV: FakeEnv = { partition: 'aws', region: 'us-east-1', account: '123456789012', stackName: 'LocalStack' };

interface ResourceShape {
  /** The property that sets the physical name; the logical id stands in when it is absent. */
  readonly nameProperty: string;
  /** What `Ref` returns for this type (CloudFormation's per-type rule). */
  readonly ref: 'name' | 'arn' | 'url';
  readonly arn: (name: string, env: FakeEnv) => string;
}

const regional = (service: string, resource: string) => (name: string, e: FakeEnv) =>
  `arn:${e.partition}:${service}:${e.region}:${e.account}:${resource}${name}`;

const SHAPES: Record<string, ResourceShape> = {
  'AWS::Lambda::Function': { nameProperty: 'FunctionName', ref: 'name', arn: regional('lambda', 'function:') },
  'AWS::StepFunctions::StateMachine': { nameProperty: 'StateMachineName', ref: 'arn', arn: regional('states', 'stateMachine:') },
  'AWS::SQS::Queue': { nameProperty: 'QueueName', ref: 'url', arn: regional('sqs', '') },
  'AWS::SNS::Topic': { nameProperty: 'TopicName', ref: 'arn', arn: regional('sns', '') },
  'AWS::DynamoDB::Table': { nameProperty: 'TableName', ref: 'name', arn: regional('dynamodb', 'table/') },
  'AWS::Events::EventBus': { nameProperty: 'Name', ref: 'name', arn: regional('events', 'event-bus/') },
  'AWS::Logs::LogGroup': { nameProperty: 'LogGroupName', ref: 'name', arn: (n, e) => `${regional('logs', 'log-group:')(n, e)}:*` },
  'AWS::IAM::Role': { nameProperty: 'RoleName', ref: 'name', arn: (n, e) => `arn:${e.partition}:iam::${e.account}:role/${n}` },
  'AWS::S3::Bucket': { nameProperty: 'BucketName', ref: 'name', arn: (n, e) => `arn:${e.partition}:s3:::${n}` },
};

/** Any other type: a name-shaped Ref and a generic, syntactically valid ARN. */
const OTHER_SHAPE: ResourceShape = { nameProperty: 'Name', ref: 'name', arn: regional('cloudformation', 'fake/') };

const PSEUDO_PARAMETERS: Record<string, (e: FakeEnv) => string> = {
  'AWS::Partition': (e) => e.partition,
  'AWS::Region': (e) => e.region,
  'AWS::AccountId': (e) => e.account,
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (e) => e.stackName,
  'AWS::StackId': (e) => `arn:${e.partition}:cloudformation:${e.region}:${e.account}:stack/${e.stackName}/00000000-0000-0000-0000-000000000000`,
};

function invalid(where: string, rule: string): HelmSfnError {
  return new HelmSfnError(ErrorName.InvalidInput, `${where}: ${rule}`);
}

function resourceOf(template: CfnTemplate, logicalId: string, where: string): CfnResource & { shape: ResourceShape; name: string } {
  const resource = template.Resources?.[logicalId];
  if (!resource) throw invalid(where, `refers to '${logicalId}', which is not a resource of the template`);
  const shape = SHAPES[resource.Type] ?? OTHER_SHAPE;
  const explicitName = resource.Properties?.[shape.nameProperty];
  return { ...resource, shape, name: typeof explicitName === 'string' ? explicitName : logicalId };
}

function fakeRef(template: CfnTemplate, name: string, env: FakeEnv, where: string): Json {
  const pseudo = PSEUDO_PARAMETERS[name];
  if (pseudo) return pseudo(env);
  const parameter = template.Parameters?.[name];
  if (parameter) {
    if (parameter.Default === undefined) throw invalid(where, `Ref to parameter '${name}', which has no Default`);
    return parameter.Default;
  }
  const r = resourceOf(template, name, where);
  if (r.shape.ref === 'arn') return r.shape.arn(r.name, env);
  if (r.shape.ref === 'url') return `https://sqs.${env.region}.amazonaws.com/${env.account}/${r.name}`;
  return r.name;
}

function fakeAttribute(template: CfnTemplate, logicalId: string, attribute: string, env: FakeEnv, where: string): string {
  const r = resourceOf(template, logicalId, where);
  if (attribute.endsWith('Name')) return r.name;
  if (attribute.endsWith('Url')) return `https://sqs.${env.region}.amazonaws.com/${env.account}/${r.name}`;
  return r.shape.arn(r.name, env);
}

function substitute(text: string, variables: JsonObject, resolveName: (name: string) => Json): string {
  // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, escaped: string, name: string) => {
    if (escaped) return '${' + name + '}';
    return String(name in variables ? variables[name] : resolveName(name));
  });
}

function asString(value: Json, where: string, intrinsic: string): string {
  if (typeof value !== 'string') throw invalid(where, `${intrinsic} must resolve to a string, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Resolve Ref, Fn::GetAtt, Fn::Join, Fn::Sub and Fn::Select (and pseudo parameters) anywhere
 * in `value`. `where` names the place in errors; any other intrinsic is refused.
 */
export function resolveIntrinsics(value: Json, template: CfnTemplate, env: FakeEnv = FAKE_ENV, where = '$'): Json {
  if (Array.isArray(value)) return value.map((item, i) => resolveIntrinsics(item, template, env, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const intrinsic = keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')) ? keys[0] : undefined;
  if (!intrinsic) {
    return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(value[k], template, env, `${where}.${k}`)]));
  }
  const at = `${where}.${intrinsic}`;
  const argument = value[intrinsic];
  const resolve = (v: Json, suffix = '') => resolveIntrinsics(v, template, env, at + suffix);
  switch (intrinsic) {
    case 'Ref':
      return fakeRef(template, asString(argument, at, 'Ref'), env, at);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument) ? argument.map((a) => resolve(a)) : asString(argument, at, intrinsic).split('.');
      return fakeAttribute(template, asString(logicalId, at, intrinsic), asString(attribute, at, intrinsic), env, at);
    }
    case 'Fn::Join': {
      const [separator, parts] = Array.isArray(argument) ? argument : [];
      const resolved = resolve(parts ?? null, '[1]');
      if (typeof separator !== 'string' || !Array.isArray(resolved)) throw invalid(at, 'expects [separator, [values...]]');
      return resolved.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(separator);
    }
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
      const resolvedVariables = resolve(variables ?? {}, '[1]');
      if (resolvedVariables === null || typeof resolvedVariables !== 'object' || Array.isArray(resolvedVariables)) {
        throw invalid(at, 'variables must be an object');
      }
      return substitute(asString(text, at, intrinsic), resolvedVariables, (name) => {
        const [logicalId, attribute] = name.split('.');
        return attribute ? fakeAttribute(template, logicalId, attribute, env, at) : fakeRef(template, name, env, at);
      });
    }
    case 'Fn::Select': {
      const [index, list] = Array.isArray(argument) ? argument : [];
      const resolved = resolve(list ?? null, '[1]');
      const i = Number(resolve(index ?? null, '[0]'));
      if (!Array.isArray(resolved) || !Number.isInteger(i) || i < 0 || i >= resolved.length) {
        throw invalid(at, 'expects [index, list] with 0 <= index < list length');
      }
      return resolved[i];
    }
    default:
      throw invalid(at, `intrinsic ${intrinsic} is not supported (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select are)`);
  }
}

/** The construct path CDK records with context `aws:cdk:enable-path-metadata`, minus `/Resource`. */
function constructPathOf(resource: CfnResource): string | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path.replace(/\/Resource$/, '') : undefined;
}

export interface ExtractedStateMachine {
  readonly logicalId: string;
  readonly constructPath?: string;
  readonly definition: AslDefinition;
}

/** Every AWS::StepFunctions::StateMachine of the template, its definition as plain ASL. */
export function extractStateMachines(template: CfnTemplate, env: FakeEnv = FAKE_ENV): ExtractedStateMachine[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, resource]) => {
      const where = `Resources.${logicalId}.Properties`;
      const properties = resource.Properties ?? {};
      const resolve = (field: string) => resolveIntrinsics(properties[field], template, env, `${where}.${field}`);
      let text: string;
      if (properties.DefinitionString !== undefined) text = asString(resolve('DefinitionString'), where, 'DefinitionString');
      else if (properties.Definition !== undefined) text = JSON.stringify(resolve('Definition'));
      else throw invalid(where, 'needs DefinitionString or Definition (DefinitionS3Location cannot be read locally)');
      const substitutions = properties.DefinitionSubstitutions === undefined ? {} : resolve('DefinitionSubstitutions');
      if (substitutions === null || typeof substitutions !== 'object' || Array.isArray(substitutions)) {
        throw invalid(`${where}.DefinitionSubstitutions`, 'must be an object');
      }
      // Step Functions substitutes `${key}` in the definition text; unknown keys stay as written.
      text = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, key: string) => (key in substitutions ? String(substitutions[key]) : match));
      const definition = JSON.parse(text) as AslDefinition;
      return { logicalId, constructPath: constructPathOf(resource), definition };
    });
}

export interface LambdaFunctionRef {
  readonly logicalId: string;
  readonly constructPath?: string;
  /** The function name in its fake ARN: the key a runner's handlers are looked up by. */
  readonly functionName: string;
  readonly arn: string;
}

/** Every AWS::Lambda::Function of the template, with the fake ARN the extracted definitions use. */
export function lambdaFunctions(template: CfnTemplate, env: FakeEnv = FAKE_ENV): LambdaFunctionRef[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const functionName = fakeAttribute(template, logicalId, 'FunctionName', env, `Resources.${logicalId}`);
      const arn = fakeAttribute(template, logicalId, 'Arn', env, `Resources.${logicalId}`);
      return { logicalId, constructPath: constructPathOf(resource), functionName, arn };
    });
}

/** A runner handler under this key serves every function the definition names (one function, many tasks). */
export const ANY_FUNCTION = '*';

/**
 * The function name in a Lambda function reference, as Lambda's Invoke accepts it: a name, a
 * name with `:qualifier`, a partial ARN (`123456789012:function:name`) or a full ARN.
 */
export function functionKey(nameOrArn: string): string {
  const afterPrefix = nameOrArn.includes(':function:') ? nameOrArn.split(':function:')[1] : nameOrArn;
  return afterPrefix.split(':')[0];
}
