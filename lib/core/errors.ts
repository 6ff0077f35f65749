/**
 * Error names of helm-sfn. They are the `Error` of the workflow's Fail states and the
 * `ErrorEquals` of its Retry/Catch rules, so they are part of the public contract.
 */
export const ErrorName = {
  /** The execution input (or a CLI flag) breaks a rule; nothing touched a cluster. */
  InvalidInput: 'InvalidInput',
  /** Another operation holds the release (its last record is pending-*), or the name is in use. */
  ReleaseLocked: 'ReleaseLocked',
  /** No release (or no such revision) to upgrade, roll back, test or uninstall. */
  ReleaseNotFound: 'ReleaseNotFound',
  /**
   * A chart or values file could not be read from where the input says (credentials refused,
   * access denied, registry down, digest mismatch, a tag that is not a chart); nothing was
   * locked or written.
   */
  ChartFetchFailed: 'ChartFetchFailed',
  /**
   * No chart at the reference: unknown repository or chart, no version matching the constraint,
   * no manifest with the pinned digest. Raised before the lock; nothing was written.
   */
  ChartNotFound: 'ChartNotFound',
  /**
   * A stored release record (Secret `sh.helm.release.v1.<name>.v<rev>`) cannot be read: not
   * base64, not gzip, not a Helm release JSON. The message names the Secret, never its data.
   */
  ReleaseCorrupt: 'ReleaseCorrupt',
  /** `helm template` failed, or its output is not a valid set of Kubernetes objects. */
  ChartRenderFailed: 'ChartRenderFailed',
  /** A hook Job/Pod reported failure. */
  HookFailed: 'HookFailed',
  /** A hook did not finish within its timeout. */
  HookTimeout: 'HookTimeout',
  /** The API server refused a resource (conflict, validation error). */
  ApplyFailed: 'ApplyFailed',
  /** `wait` was asked and resources did not become ready in time. */
  ResourcesNotReady: 'ResourcesNotReady',
  /** No answer from the API server (or no such cluster); retried for minutes, then failed. */
  ClusterUnreachable: 'ClusterUnreachable',
  /**
   * The API server or AWS refused our credentials (401, still after one refresh) or our
   * permissions (403): RBAC, the cluster's access entry or the role needs a fix. Not retried.
   */
  AccessDenied: 'AccessDenied',
  /** 429, 5xx or a dropped connection: safe to retry (every task is idempotent). */
  KubeTransient: 'KubeTransient',
  /** An atomic operation failed and the release was rolled back (or uninstalled). */
  RolledBack: 'RolledBack',
} as const;

export type ErrorName = (typeof ErrorName)[keyof typeof ErrorName];

/** An error whose `name` is one of {@link ErrorName}; Step Functions matches on it. */
export class HelmSfnError extends Error {
  override readonly name: ErrorName;

  constructor(name: ErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

export const isHelmSfnError = (e: unknown, name?: ErrorName): e is HelmSfnError =>
  e instanceof HelmSfnError && (name === undefined || e.name === name);

/**
 * The message of an error that crossed a Lambda boundary: Step Functions (and the Lambda API)
 * hand it over as the JSON `{"errorType","errorMessage","trace"}`; anything else is already text.
 */
export function lambdaErrorMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: already plain text
  }
  return cause;
}
