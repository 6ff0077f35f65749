import { goMarshal, type JsonObject } from '../../lib/core/go-json';
import { patchSchemaFor } from '../../lib/core/patch-meta';
import { applyStrategicMergePatch, createThreeWayMergePatch, createTwoWayMergePatch } from '../../lib/core/strategic-merge-patch';

const DEPLOYMENT = patchSchemaFor('apps/v1', 'Deployment')!;

/** A Deployment whose pod template has `podSpec`; `meta` and `spec` merge into metadata and spec. */
const deployment = (podSpec: object, meta: object = {}, spec: object = {}): JsonObject =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', ...meta }, spec: { ...spec, template: { spec: podSpec } } }) as JsonObject;
const web = (extra: object = {}) => ({ name: 'web', image: 'nginx:1.27', ...extra });
const side = { name: 'side', image: 'busybox' };

// [case, original (previous manifest), modified (new manifest), current (live), the patch Helm sends]
const CASES: [string, JsonObject, JsonObject, JsonObject, string][] = [
  [
    'image changed: containers are keyed by name',
    deployment({ containers: [web()] }),
    deployment({ containers: [web({ image: 'nginx:1.28' })] }),
    deployment({ containers: [web({ terminationMessagePath: '/dev/termination-log' })] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.28","name":"web"}]}}}}',
  ],
  [
    'env var removed and another added',
    deployment({ containers: [web({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] })] }),
    deployment({ containers: [web({ env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }] })] }),
    deployment({ containers: [web({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] })] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"C"}],"env":[{"name":"C","value":"3"},{"$patch":"delete","name":"B"}],"name":"web"}]}}}}',
  ],
  [
    'container ports are keyed by containerPort alone',
    deployment({ containers: [web({ ports: [{ containerPort: 80 }, { containerPort: 9090, name: 'metrics' }] })] }),
    deployment({ containers: [web({ ports: [{ containerPort: 80 }, { containerPort: 8080, name: 'alt' }] })] }),
    deployment({ containers: [web({ ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 9090, name: 'metrics', protocol: 'TCP' }] })] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"$setElementOrder/ports":[{"containerPort":80},{"containerPort":8080}],"name":"web","ports":[{"containerPort":8080,"name":"alt"},{"$patch":"delete","containerPort":9090}]}]}}}}',
  ],
  [
    'a volume removed: $patch delete; one changed its source: $retainKeys',
    deployment({ containers: [web()], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] }),
    deployment({ containers: [web()], volumes: [{ name: 'data', configMap: { name: 'd' } }] }),
    deployment({ containers: [web()], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } }] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/volumes":[{"name":"data"}],"volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"d"},"emptyDir":null,"name":"data"},{"$patch":"delete","name":"cfg"}]}}}}',
  ],
  [
    'tolerations and args are atomic: replaced whole',
    deployment({ containers: [web({ args: ['--a', '--b'] })], tolerations: [{ key: 'a', operator: 'Exists' }] }),
    deployment({ containers: [web({ args: ['--b'] })], tolerations: [{ key: 'b', operator: 'Exists' }] }),
    deployment({ containers: [web({ args: ['--a', '--b'] })], tolerations: [{ key: 'a', operator: 'Exists' }] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"args":["--b"],"name":"web"}],"tolerations":[{"key":"b","operator":"Exists"}]}}}}',
  ],
  [
    'strategy RollingUpdate → Recreate: $retainKeys drops the defaulted rollingUpdate',
    deployment({ containers: [web()] }, {}, { strategy: { type: 'RollingUpdate' } }),
    deployment({ containers: [web()] }, {}, { strategy: { type: 'Recreate' } }),
    deployment({ containers: [web()] }, {}, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }),
    '{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}',
  ],
  [
    'a null in the manifest and a key removed from a nested map',
    deployment({ containers: [web({ resources: { limits: { cpu: '1', memory: '1Gi' } } })] }),
    deployment({ containers: [web({ resources: { limits: { cpu: '2' } }, securityContext: null })] }),
    deployment({ containers: [web({ resources: { limits: { cpu: '1', memory: '1Gi' } }, securityContext: { runAsUser: 1 } })] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"name":"web","resources":{"limits":{"cpu":"2","memory":null}},"securityContext":null}]}}}}',
  ],
  [
    'a label removed; annotations a controller added stay',
    deployment({ containers: [web()] }, { labels: { app: 'web', tier: 'front' } }),
    deployment({ containers: [web()] }, { labels: { app: 'web' } }),
    deployment({ containers: [web()] }, { labels: { app: 'web', tier: 'front' }, annotations: { 'deployment.kubernetes.io/revision': '3' } }),
    '{"metadata":{"labels":{"tier":null}}}',
  ],
  [
    'containers reordered, nothing else: only the order directive',
    deployment({ containers: [web(), side] }),
    deployment({ containers: [side, web()] }),
    deployment({ containers: [web(), side] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"web"}]}}}}',
  ],
  [
    'replicas an autoscaler set are kept when the chart has none',
    deployment({ containers: [web()] }),
    deployment({ containers: [web({ image: 'nginx:1.28' })] }),
    deployment({ containers: [web()] }, {}, { replicas: 7 }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.28","name":"web"}]}}}}',
  ],
  [
    'replicas the chart sets win over the live value',
    deployment({ containers: [web()] }, {}, { replicas: 2 }),
    deployment({ containers: [web()] }, {}, { replicas: 2 }),
    deployment({ containers: [web()] }, {}, { replicas: 7 }),
    '{"spec":{"replicas":2}}',
  ],
  [
    'a live edit of a chart field is reverted',
    deployment({ containers: [web()] }),
    deployment({ containers: [web()] }),
    deployment({ containers: [web({ image: 'hacked' })] }),
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.27","name":"web"}]}}}}',
  ],
  [
    'nothing changed: no patch (Helm sends no request)',
    deployment({ containers: [web()] }),
    deployment({ containers: [web()] }),
    deployment({ containers: [web({ imagePullPolicy: 'IfNotPresent' })] }, { uid: 'u', resourceVersion: '9' }),
    '{}',
  ],
  [
    'finalizers merge as a set: deletions go in a parallel list',
    { metadata: { name: 'x', finalizers: ['a', 'b'] } },
    { metadata: { name: 'x', finalizers: ['a', 'c'] } },
    { metadata: { name: 'x', finalizers: ['a', 'b', 'z'] } },
    '{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],"$setElementOrder/finalizers":["a","c"],"finalizers":["c"]}}',
  ],
  [
    'an unsorted, unchanged set still gets an order directive (Go sorts the live list in place before comparing)',
    { metadata: { name: 'x', finalizers: ['b', 'a'] } },
    { metadata: { name: 'x', finalizers: ['b', 'a'] } },
    { metadata: { name: 'x', finalizers: ['b', 'a'] } },
    '{"metadata":{"$setElementOrder/finalizers":["b","a"]}}',
  ],
];

describe('three-way strategic merge patch (apimachinery CreateThreeWayMergePatch, overwrite)', () => {
  it.each(CASES)('%s', (_name, original, modified, current, expected) => {
    expect(goMarshal(createThreeWayMergePatch(original, modified, current, DEPLOYMENT))).toBe(expected);
  });

  it.each(CASES.filter(([name]) => !/null|finalizers|unsorted/.test(name)))(
    'applying it to the live object gives the new manifest, plus what only the cluster set: %s',
    (_name, original, modified, current) => {
      expect(applyStrategicMergePatch(current, createThreeWayMergePatch(original, modified, current, DEPLOYMENT), DEPLOYMENT)).toMatchObject(modified);
    },
  );

  it('keeps live-only list items and orders them where they were', () => {
    const current = deployment({ containers: [web(), { name: 'injected', image: 'proxy' }, side] });
    const patch = createThreeWayMergePatch(deployment({ containers: [web(), side] }), deployment({ containers: [web({ image: 'nginx:1.28' }), side] }), current, DEPLOYMENT);
    const applied = applyStrategicMergePatch(current, patch, DEPLOYMENT) as any;
    expect(applied.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web', 'injected', 'side']);
  });

  it('does not change its inputs', () => {
    const original = deployment({ containers: [web()] }, { finalizers: ['b', 'a'] });
    const copy = structuredClone(original);
    createThreeWayMergePatch(original, deployment({ containers: [] }), original, DEPLOYMENT);
    expect(original).toEqual(copy);
  });

  it('fails with apimachinery\'s messages where Go fails', () => {
    const noName = deployment({ containers: [{ image: 'x' }] });
    expect(() => createThreeWayMergePatch(deployment({ containers: [web()] }), noName, noName, DEPLOYMENT)).toThrow(
      'map: map[image:x] does not contain declared merge key: name',
    );
    // a map-typed field holding objects: what a client-side update of such a field fails with
    const nested = (v: number) => deployment({ containers: [web()], nodeSelector: { a: { x: v } } });
    expect(() => createThreeWayMergePatch(nested(1), nested(2), nested(1), DEPLOYMENT)).toThrow('merging an object in json but data type is not struct, instead is: map');
    const unknown = (v: number) => deployment({ containers: [web()], bogus: { x: v } });
    expect(() => createThreeWayMergePatch(unknown(1), unknown(2), unknown(1), DEPLOYMENT)).toThrow('unable to find api field in struct PodSpec for the json field "bogus"');
    // identical unknown maps are no error: nothing to diff
    expect(goMarshal(createThreeWayMergePatch(unknown(1), unknown(1), unknown(1), DEPLOYMENT))).toBe('{}');
  });
});

describe('two-way strategic merge patch', () => {
  it('diffs two versions of one object, deletions included', () => {
    expect(goMarshal(createTwoWayMergePatch(deployment({ containers: [web(), side] }), deployment({ containers: [web()] }), DEPLOYMENT))).toBe(
      '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"$patch":"delete","name":"side"}]}}}}',
    );
  });
});

describe('applying a strategic merge patch (the API server\'s side)', () => {
  const volumes = [{ name: 'v', emptyDir: {} }];
  const live = deployment({ containers: [web({ env: [{ name: 'A', value: '1' }] }), side], volumes });

  it.each<[string, JsonObject, object]>([
    ['merges a keyed item and keeps the others', { spec: { template: { spec: { containers: [{ name: 'side', image: 'b2' }] } } } }, { containers: [web({ env: [{ name: 'A', value: '1' }] }), { name: 'side', image: 'b2' }], volumes }],
    ['deletes a keyed item', { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } }, { containers: [web({ env: [{ name: 'A', value: '1' }] })], volumes }],
    [
      'orders by $setElementOrder',
      { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] } } } },
      { containers: [side, web({ env: [{ name: 'A', value: '1' }] })], volumes },
    ],
    ['replaces a list marked $patch: replace', { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }] } } } }, { containers: [{ name: 'only', image: 'o' }], volumes }],
    ['removes a field set to null', { spec: { template: { spec: { volumes: null } } } }, { containers: [web({ env: [{ name: 'A', value: '1' }] }), side] }],
  ])('%s', (_name, patch, podSpec) => {
    expect((applyStrategicMergePatch(live, patch, DEPLOYMENT) as any).spec.template.spec).toEqual(podSpec);
  });

  it('refuses keys outside $retainKeys and clears the others', () => {
    const strategy = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } } as JsonObject;
    expect(applyStrategicMergePatch(strategy, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOYMENT)).toEqual({ spec: { strategy: { type: 'Recreate' } } });
    expect(() => applyStrategicMergePatch(strategy, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 2 } } } }, DEPLOYMENT)).toThrow(
      'invalid patch format of retainKeys',
    );
  });
});
