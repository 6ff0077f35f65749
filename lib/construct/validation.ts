/**
 * Validation errors of the constructs, as aws-cdk-lib reports its own: the message starts with
 * the construct path and the error carries it (`constructPath`), so a bad prop in a large app
 * names the construct it belongs to. aws-cdk-lib's own `ValidationError` is marked `@internal`
 * and its constructor changed within 2.x (`(msg, scope)` became `(name, msg, scope)` by 2.276),
 * so a construct that accepts any aws-cdk-lib 2 cannot build on it; `Errors.isValidationError`,
 * the public test, recognises this one.
 */
import type { IConstruct } from 'constructs';
import { ErrorName, HelmSfnError } from '../core/errors';

const CDK_VALIDATION_BRANDS = [Symbol.for('@aws-cdk/core.SynthesisError'), Symbol.for('@aws-cdk/core.ValidationError')];

/** A prop breaks a rule; thrown while the construct is built (synth fails). */
export class ConstructValidationError extends HelmSfnError {
  /** The path of the construct whose props are wrong, e.g. `MyStack/Orchestrator`. */
  readonly constructPath: string;
  /** Always `'validation'`, as aws-cdk-lib's construct errors say. */
  readonly type = 'validation';

  constructor(scope: IConstruct, message: string) {
    super(ErrorName.InvalidInput, `${scope.node.path}: ${message}`);
    this.constructPath = scope.node.path;
    // aws-cdk-lib recognises its construct errors by these global symbols (Errors.isValidationError),
    // which work across copies of the library; so ours pass for validation errors too
    for (const brand of CDK_VALIDATION_BRANDS) Object.defineProperty(this, brand, { value: true });
  }
}

/** `<path>: <prop>: <rule>; got <value>`, the value shown as JSON. */
export function invalidProp(scope: IConstruct, prop: string, rule: string, got: unknown): ConstructValidationError {
  return new ConstructValidationError(scope, `${prop}: ${rule}; got ${JSON.stringify(got)}`);
}
