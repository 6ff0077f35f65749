import { formatLabelSelector, fromSelectorObject, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../lib/sim/selectors';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'db', 'app.kubernetes.io/name': 'x' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=web,tier=db', true],
    ['app=web,tier=cache', false],
    ['tier in (db,cache)', true],
    ['tier notin (db,cache)', false],
    ['missing notin (a)', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app.kubernetes.io/name=x', true],
    ['name=r1,owner=helm', false],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesLabels(parseLabelSelector('!a'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('a=b'), undefined)).toBe(false);
  });

  it('fails on a requirement it cannot parse, naming it', () => {
    expect(() => parseLabelSelector('a=b,=c')).toThrow(/unable to parse requirement: found '=c'/);
  });

  it('converts structured selectors and prints them back', () => {
    const sel = fromSelectorObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] });
    expect(formatLabelSelector(sel)).toBe('app=web,tier in (a,b),!x');
    expect(matchesLabels(sel, { app: 'web', tier: 'b' })).toBe(true);
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p1', namespace: 'ns' }, status: { phase: 'Running' } };

  it.each([
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name!=p1', false],
    ['metadata.namespace=ns,status.phase=Running', true],
    ['status.phase=Succeeded', false],
  ])('%j matches a Pod: %s', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector, 'Pod'), pod)).toBe(expected);
  });

  it('rejects fields the kind does not index, as the API server does', () => {
    expect(() => parseFieldSelector('status.phase=Running', 'ConfigMap')).toThrow('field label not supported: status.phase');
  });
});
