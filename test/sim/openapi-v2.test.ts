/**
 * /openapi/v2: the Swagger 2.0 document as JSON, or as gnostic protobuf for the Accept header
 * kubectl ≤ 1.26 sends. Old kubectl itself judges the protobuf (fidelity-kubectl-1.20.test.ts)
 * and Yelp's validator the JSON (fidelity-python-client.test.ts); these are the facts they rely on.
 */
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { encodeOpenapiV2 } from '../../lib/sim/openapi-proto';

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ controllers: false });
});
afterAll(() => sim.stop());

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

describe('/openapi/v2', () => {
  it('is a Swagger 2.0 JSON document whose kinds name their group-version-kind', async () => {
    const res = await fetch(`${sim.url}/openapi/v2`);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = (await res.json()) as any;
    expect(doc).toMatchObject({ swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.34.0+sim' } });
    expect(doc.definitions['io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration']).toEqual({
      description: 'ValidatingWebhookConfiguration (admissionregistration.k8s.io/v1); the sim publishes no field schema',
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration' }],
    });
    expect(doc.definitions['io.k8s.api.apps.v1.DeploymentList']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'DeploymentList' }]);
  });

  it('declares dryRun on each PATCH operation with its kind, which is how kubectl ≤ 1.26 decides --dry-run=server works', async () => {
    const doc = (await fetch(`${sim.url}/openapi/v2`).then((r) => r.json())) as any;
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    const ids = Object.values(doc.paths).flatMap((item: any) => ['get', 'put', 'post', 'patch', 'delete'].filter((v) => item[v]).map((v) => item[v].operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('adds the kinds a CRD registers', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    await fetch(`${sim.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(crd) });
    for (let i = 0; i < 100 && !(await fetch(`${sim.url}/apis/example.com/v1`)).ok; i++) await new Promise((r) => setTimeout(r, 10));
    const doc = (await fetch(`${sim.url}/openapi/v2`).then((r) => r.json())) as any;
    expect(doc.definitions['com.example.v1.Widget']['x-kubernetes-group-version-kind']).toEqual([{ group: 'example.com', version: 'v1', kind: 'Widget' }]);
  });

  it('is protobuf (openapi_v2.Document) for the Accept header of kubectl ≤ 1.26, as octet-stream like kube-apiserver', async () => {
    const res = await fetch(`${sim.url}/openapi/v2`, { headers: { Accept: PROTOBUF } });
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.subarray(0, 5)).toEqual(Buffer.from([0x0a, 0x03, ...Buffer.from('2.0')])); // swagger=1 "2.0"
    expect(body.includes(Buffer.from('x-kubernetes-group-version-kind'))).toBe(true);
  });

  it('encodes vendor extensions as Any{yaml} and parameters by where they go', () => {
    const doc = {
      swagger: '2.0',
      paths: { '/x/{name}': { parameters: [{ name: 'name', in: 'path', required: true, type: 'string' }], patch: { parameters: [{ name: 'dryRun', in: 'query', type: 'string' }], 'x-kubernetes-action': 'patch', responses: {} } } },
    };
    const bytes = encodeOpenapiV2(doc);
    const hex = bytes.toString('hex');
    // the query parameter: ParametersItem{parameter=1{non_body_parameter=2{query_parameter_sub_schema=3{in=2 "query", name=4 "dryRun", type=6 "string"}}}}
    const query = Buffer.concat([Buffer.from([0x12, 5]), Buffer.from('query'), Buffer.from([0x22, 6]), Buffer.from('dryRun'), Buffer.from([0x32, 6]), Buffer.from('string')]);
    expect(hex).toContain(query.toString('hex'));
    // the extension: NamedAny{name=1 "x-kubernetes-action", value=2 Any{yaml=2 "patch\n"}}
    expect(hex).toContain(Buffer.concat([Buffer.from('x-kubernetes-action'), Buffer.from([0x12, 8, 0x12, 6]), Buffer.from('patch\n')]).toString('hex'));
  });
});
