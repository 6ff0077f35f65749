/**
 * The CDK app's settings, from context: cdk.json's "context" or `npx cdk deploy -c key=value`
 * (command-line values are strings, so JSON-shaped settings are parsed here). Every key is
 * prefixed `helm-sfn:`; a bad value fails the synth naming the key and the rule.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ErrorName, HelmSfnError } from '../core/errors';
import type { FunctionLogLevel, HelmReleaseOrchestratorProps, ImageUpdateTrigger } from './orchestrator';

export const CONTEXT_PREFIX = 'helm-sfn:';
const LOG_LEVELS: FunctionLogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface AppSettings {
  readonly stackName: string;
  /** Run cdk-nag's AwsSolutions checks during synth. */
  readonly nag: boolean;
  readonly orchestrator: HelmReleaseOrchestratorProps;
}

export function settingsFromContext(get: (key: string) => unknown): AppSettings {
  const value = (key: string) => get(CONTEXT_PREFIX + key);
  const logLevel = optionalString(value('logLevel'), 'logLevel');
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as FunctionLogLevel)) {
    throw invalid('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`, logLevel);
  }
  const allowedAccounts = list(value('allowedAccounts'), 'allowedAccounts');
  const organizationId = optionalString(value('organizationId'), 'organizationId');
  const eventBusName = optionalString(value('eventBusName'), 'eventBusName');
  const includeExecutionData = bool(value('logExecutionData'), 'logExecutionData');
  const tokenSecretKeyArns = list(value('tokenSecretKeyArns'), 'tokenSecretKeyArns');
  return {
    stackName: optionalString(value('stackName'), 'stackName') ?? 'HelmSfn',
    nag: bool(value('nag'), 'nag') ?? false,
    orchestrator: {
      clusters: object(value('clusters'), 'clusters') as HelmReleaseOrchestratorProps['clusters'],
      ...(tokenSecretKeyArns ? { tokenSecretKeyArns } : {}),
      ...(logLevel ? { logLevel: logLevel as FunctionLogLevel } : {}),
      ...(bool(value('tracing'), 'tracing') === false ? { tracing: false } : {}),
      ...(includeExecutionData ? { executionLogging: { level: sfn.LogLevel.ALL, includeExecutionData } } : {}),
      events: {
        ...(eventBusName ? { eventBusName } : {}),
        ...(allowedAccounts ? { allowedAccounts } : {}),
        ...(organizationId ? { allowedOrganizationId: organizationId } : {}),
      },
      ...(value('imageUpdates') !== undefined ? { imageUpdates: array(value('imageUpdates'), 'imageUpdates') as ImageUpdateTrigger[] } : {}),
      ...(value('pollSeconds') !== undefined ? { pollSeconds: object(value('pollSeconds'), 'pollSeconds') as HelmReleaseOrchestratorProps['pollSeconds'] } : {}),
    },
  };
}

function invalid(key: string, rule: string, got: unknown): HelmSfnError {
  return new HelmSfnError(ErrorName.InvalidInput, `context ${CONTEXT_PREFIX}${key}: ${rule}; got ${JSON.stringify(got)}`);
}

/** `-c` gives strings; cdk.json gives JSON values. */
function parsed(raw: unknown, key: string): unknown {
  if (typeof raw !== 'string' || !/^\s*[[{]/.test(raw)) return raw;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw invalid(key, `must be valid JSON (${(e as Error).message})`, raw);
  }
}

function object(raw: unknown, key: string): Record<string, unknown> | undefined {
  const v = parsed(raw, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(key, 'must be a JSON object', v);
  return v as Record<string, unknown>;
}

function array(raw: unknown, key: string): unknown[] {
  const v = parsed(raw, key);
  if (!Array.isArray(v)) throw invalid(key, 'must be a JSON array', v);
  return v;
}

/** A JSON array, or a comma-separated string (`-c helm-sfn:allowedAccounts=111122223333,444455556666`). */
function list(raw: unknown, key: string): string[] | undefined {
  const v = parsed(raw, key);
  if (v === undefined || v === '') return undefined;
  const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'string')) throw invalid(key, 'must be a list of strings (JSON array or comma-separated)', v);
  return items;
}

function optionalString(raw: unknown, key: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw invalid(key, 'must be a string', raw);
  return raw;
}

function bool(raw: unknown, key: string): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw invalid(key, 'must be true or false', raw);
}
