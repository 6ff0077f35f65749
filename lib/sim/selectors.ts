/**
 * Label and field selectors: the query-string grammar of
 * k8s.io/apimachinery/pkg/labels/selector.go and fields/selector.go, and the structured
 * `LabelSelector` (matchLabels / matchExpressions) that workloads carry.
 */
import { badRequest } from './errors';

export type Labels = Record<string, string> | undefined;

export type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside `( … )`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = '[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?';

function parseRequirement(text: string): LabelRequirement {
  let m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(text);
  if (m) return { key: m[1], op: m[3] as 'in' | 'notin', values: m[4].split(',').map((v) => v.trim()) };
  m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(.*)$`).exec(text);
  if (m) return { key: m[1], op: m[3] === '!=' ? 'notin' : 'in', values: [m[4].trim()] };
  m = new RegExp(`^(${KEY})\\s*([<>])\\s*(-?\\d+)$`).exec(text);
  if (m) return { key: m[1], op: m[3] === '>' ? 'gt' : 'lt', value: Number(m[4]) };
  m = new RegExp(`^(!?)\\s*(${KEY})$`).exec(text);
  if (m) return { key: m[2], op: m[1] ? 'notexists' : 'exists' };
  throw badRequest(`unable to parse requirement: found '${text}', expected: a label selector requirement`);
}

/** Parses `a=b,c!=d,e in (x,y),!f`; an empty string selects everything. */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  return text ? splitTopLevel(text).map(parseRequirement) : [];
}

function matchesRequirement(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && req.values.includes(value);
    case 'notin':
      return !has || !req.values.includes(value);
    case 'gt':
      return has && Number(value) > req.value;
    case 'lt':
      return has && Number(value) < req.value;
  }
}

export const matchesLabels = (selector: LabelSelector, labels: Labels): boolean =>
  selector.every((req) => matchesRequirement(req, labels ?? {}));

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** The structured selector of a Deployment, Job or Service (`spec.selector`). */
export function fromSelectorObject(selector: LabelSelectorObject | undefined): LabelSelector {
  const reqs: LabelSelector = Object.entries(selector?.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in' as const, values: [v] }));
  for (const e of selector?.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') reqs.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') reqs.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') reqs.push({ key: e.key, op: 'notexists' });
  }
  return reqs;
}

/** Renders a selector back to its query form, as `kubectl` and Helm print it. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
        case 'in':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'notin':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
        case 'gt':
          return `${r.key}>${r.value}`;
        case 'lt':
          return `${r.key}<${r.value}`;
      }
    })
    .join(',');
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

/** Fields every kind supports, plus the extra ones some kinds register (pkg/registry/.../strategy.go). */
const EXTRA_FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Job: ['status.successful'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'reason', 'type', 'source'],
  Node: ['spec.unschedulable'],
};

/** Parses `metadata.name=x,status.phase!=Running`; rejects fields the kind does not index. */
export function parseFieldSelector(text: string | null | undefined, kind: string): FieldRequirement[] {
  if (!text) return [];
  const allowed = ['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[kind] ?? [])];
  return splitTopLevel(text).map((part) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1].trim();
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, value: m[3].trim(), negate: m[2] === '!=' };
  });
}

function fieldValue(obj: Record<string, unknown>, path: string): string {
  let cur: unknown = obj;
  for (const key of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur === undefined || cur === null ? '' : String(cur);
}

export const matchesFields = (reqs: FieldRequirement[], obj: object): boolean =>
  reqs.every((r) => (fieldValue(obj as Record<string, unknown>, r.field) === r.value) !== r.negate);
