import { upgradeManagedFieldsPatch, type ManagedFieldsEntry } from '../../lib/core/managed-fields';

const entry = (manager: string, operation: string, fieldsV1: object, extra: Partial<ManagedFieldsEntry> = {}): ManagedFieldsEntry => ({
  manager,
  operation,
  apiVersion: 'apps/v1',
  time: '2026-01-02T03:04:05Z',
  fieldsType: 'FieldsV1',
  fieldsV1: fieldsV1 as ManagedFieldsEntry['fieldsV1'],
  ...extra,
});
const object = (managedFields: ManagedFieldsEntry[] | undefined) => ({ metadata: { resourceVersion: '42', managedFields } });
const valueOf = (body: string) => JSON.parse(body)[0].value as ManagedFieldsEntry[];

describe('csa → ssa managed fields upgrade (client-go csaupgrade.UpgradeManagedFieldsPatch)', () => {
  it('turns the client-side manager\'s Update entry into its Apply entry, in place, and replaces resourceVersion', () => {
    const hpa = entry('hpa', 'Update', { 'f:spec': { 'f:replicas': {} } });
    const helm = entry('helm', 'Update', { 'f:spec': { 'f:template': {} } });
    const result = upgradeManagedFieldsPatch(object([hpa, helm]), ['helm'], 'helm')!;
    expect(result.body).toBe(
      '[{"op":"replace","path":"/metadata/managedFields","value":[' +
        '{"manager":"hpa","operation":"Update","apiVersion":"apps/v1","time":"2026-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}},' +
        '{"manager":"helm","operation":"Apply","apiVersion":"apps/v1","time":"2026-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{}}}}]},' +
        '{"op":"replace","path":"/metadata/resourceVersion","value":"42"}]',
    );
    expect(result.managedFields.map((e) => `${e.manager}/${e.operation}`)).toEqual(['hpa/Update', 'helm/Apply']);
  });

  it('unions into an existing Apply entry and drops every Update entry of the client-side manager', () => {
    const apply = entry('helm', 'Apply', { 'f:metadata': { 'f:labels': { 'f:a': {} } } });
    const update = entry('helm', 'Update', { 'f:spec': { 'f:replicas': {} } });
    const older = entry('helm', 'Update', { 'f:spec': { 'f:paused': {} } }, { apiVersion: 'apps/v1beta2' });
    const fields = valueOf(upgradeManagedFieldsPatch(object([apply, update, older]), ['helm'], 'helm')!.body);
    expect(fields).toEqual([{ ...apply, fieldsV1: { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:replicas': {} } } }]);
  });

  it('leaves status-subresource entries of the same manager alone', () => {
    const status = entry('helm', 'Update', { 'f:status': {} }, { subresource: 'status' });
    const main = entry('helm', 'Update', { 'f:spec': {} });
    expect(valueOf(upgradeManagedFieldsPatch(object([status, main]), ['helm'], 'helm')!.body).map((e) => `${e.operation}/${e.subresource ?? ''}`)).toEqual([
      'Update/status',
      'Apply/',
    ]);
  });

  it('has nothing to do without a client-side entry or without managed fields', () => {
    expect(upgradeManagedFieldsPatch(object([entry('helm', 'Apply', { 'f:spec': {} })]), ['helm'], 'helm')).toBeUndefined();
    expect(upgradeManagedFieldsPatch(object([entry('kubectl', 'Update', { 'f:spec': {} })]), ['helm'], 'helm')).toBeUndefined();
    expect(upgradeManagedFieldsPatch(object(undefined), ['helm'], 'helm')).toBeUndefined();
  });

  it('writes the rewritten set in structured-merge-diff order and the others as Go re-marshals them', () => {
    // keys compare as values (80 < 10000), "." comes first; the untouched entry is re-marshalled with sorted keys
    const ports = { 'k:{"containerPort":10000,"protocol":"TCP"}': { 'f:name': {}, '.': {} }, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:name': {} } };
    const other = entry('other', 'Update', { 'f:b': {}, 'f:a': {} });
    const body = upgradeManagedFieldsPatch(object([other, entry('helm', 'Update', { 'f:spec': { 'f:ports': ports } })]), ['helm'], 'helm')!.body;
    expect(body).toContain('"fieldsV1":{"f:a":{},"f:b":{}}');
    expect(body).toContain(
      '"fieldsV1":{"f:spec":{"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:name":{}},"k:{\\"containerPort\\":10000,\\"protocol\\":\\"TCP\\"}":{".":{},"f:name":{}}}}}',
    );
  });

  it('writes times as metav1.Time does: RFC 3339 in whole seconds, UTC', () => {
    const body = upgradeManagedFieldsPatch(object([entry('helm', 'Update', { 'f:a': {} }, { time: '2026-01-02T03:04:05.678+01:00' })]), ['helm'], 'helm')!.body;
    expect(body).toContain('"time":"2026-01-02T02:04:05Z"');
  });
});
