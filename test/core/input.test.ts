import { ErrorName, isHelmSfnError } from '../../lib/core/errors';
import { executionInputJsonSchema, parseExecutionInput, parseSetFile, withDefaultPollSeconds, type ParseOptions } from '../../lib/core/input';

const DEFAULT_OPTIONS = {
  timeoutSeconds: 300,
  wait: false,
  atomic: false,
  noHooks: false,
  hookMode: 'weight-groups',
  historyMax: 10,
  keepHistory: false,
  createNamespace: false,
  installIfMissing: false,
  reuseValues: false,
  resetValues: false,
  forceConflicts: false,
  forceReplace: false,
  takeOwnership: false,
  pollSeconds: { min: 2, max: 3600, watch: 15 },
};
const install = { action: 'install', release: 'my-website', namespace: 'web', chart: { source: 's3://charts-bucket/wordpress-1.2.3.tgz' } };

function problems(raw: unknown, opts?: ParseOptions): string {
  try {
    parseExecutionInput(raw, opts);
  } catch (e) {
    if (isHelmSfnError(e, ErrorName.InvalidInput)) return e.message;
    throw e;
  }
  throw new Error('expected InvalidInput');
}

describe('good inputs come back with defaults filled in', () => {
  it.each([
    ['minimal install', install, { ...install, options: DEFAULT_OPTIONS }],
    [
      'a full install example',
      {
        action: 'install',
        release: 'my-website',
        namespace: 'web',
        cluster: 'prod-eu',
        chart: { source: 'oci://registry.example.com/charts/wordpress', version: '1.2.3' },
        values: { replicaCount: 2, nested: { list: [1, 'a', null, true] } },
        valuesFrom: ['s3://config-bucket/prod.yaml'],
        set: ['image.tag=6.6', 'a.b=c,d=e'],
        options: { timeoutSeconds: 600, wait: true, hookMode: 'sequential', historyMax: 0, pollSeconds: { min: 5, max: 60, watch: 15 } },
      },
      {
        action: 'install',
        release: 'my-website',
        namespace: 'web',
        cluster: 'prod-eu',
        chart: { source: 'oci://registry.example.com/charts/wordpress', version: '1.2.3' },
        values: { replicaCount: 2, nested: { list: [1, 'a', null, true] } },
        valuesFrom: ['s3://config-bucket/prod.yaml'],
        set: ['image.tag=6.6', 'a.b=c,d=e'],
        options: { ...DEFAULT_OPTIONS, timeoutSeconds: 600, wait: true, hookMode: 'sequential', historyMax: 0, pollSeconds: { min: 5, max: 60, watch: 15 } },
      },
    ],
    ['rollback to a revision', { action: 'rollback', release: 'a', namespace: 'b', revision: 3 }, { action: 'rollback', release: 'a', namespace: 'b', revision: 3, options: DEFAULT_OPTIONS }],
    [
      'uninstall keeping history',
      { action: 'uninstall', release: 'a1', namespace: '0ns', options: { keepHistory: true } },
      { action: 'uninstall', release: 'a1', namespace: '0ns', options: { ...DEFAULT_OPTIONS, keepHistory: true } },
    ],
    ['test', { action: 'test', release: 'a', namespace: 'b' }, { action: 'test', release: 'a', namespace: 'b', options: DEFAULT_OPTIONS }],
    [
      'upgrade from an https chart; a poll minimum keeps the default maximum and window',
      { action: 'upgrade', release: 'a', namespace: 'b', chart: { source: 'https://charts.example.com/a-1.0.0.tgz' }, options: { installIfMissing: true, pollSeconds: { min: 45 } } },
      {
        action: 'upgrade',
        release: 'a',
        namespace: 'b',
        chart: { source: 'https://charts.example.com/a-1.0.0.tgz' },
        options: { ...DEFAULT_OPTIONS, installIfMissing: true, pollSeconds: { min: 45, max: 3600, watch: 15 } },
      },
    ],
    ['a 53-character release name', { ...install, release: `a${'b'.repeat(52)}` }, { ...install, release: `a${'b'.repeat(52)}`, options: DEFAULT_OPTIONS }],
  ])('%s', (_name, raw, expected) => {
    expect(parseExecutionInput(raw)).toEqual(expected);
  });

  it('accepts local chart and values paths only when asked to', () => {
    const local = { ...install, chart: { source: './examples/charts/wordpress' }, valuesFrom: ['/tmp/values.yaml'] };
    expect(parseExecutionInput(local, { allowLocalPaths: true }).chart?.source).toBe('./examples/charts/wordpress');
    expect(problems(local)).toBe(
      [
        'chart.source: must be an s3://bucket/key (bucket: 3 to 63 lowercase letters, digits, dots and hyphens), oci://registry/repository/chart or https://…/chart.tgz URL (local paths only when running locally); got "./examples/charts/wordpress"',
        'valuesFrom[0]: must be an s3://bucket/key (bucket: 3 to 63 lowercase letters, digits, dots and hyphens) URL (local paths only when running locally); got "/tmp/values.yaml"',
      ].join('\n'),
    );
  });

  it('does not copy or reshape values', () => {
    const values = JSON.parse('{"__proto__": {"x": 1}, "b": 2}');
    expect(parseExecutionInput({ ...install, values }).values).toBe(values);
  });
});

describe('bad inputs: the message names every field and its rule', () => {
  const RELEASE_RULE = "must be a DNS-1053 label (lowercase letters, digits and '-', starting with a letter, ending alphanumeric), at most 53 characters";
  it.each([
    ['not an object', 'install', ['input: must be a JSON object; got "install"']],
    ['a bad release name', { ...install, release: 'My_Site' }, [`release: ${RELEASE_RULE}; got "My_Site"`]],
    ['a release name starting with a digit', { ...install, release: '1site' }, [`release: ${RELEASE_RULE}; got "1site"`]],
    ['a release name with a dot (Helm allows it, the issue does not)', { ...install, release: 'a.b' }, [`release: ${RELEASE_RULE}; got "a.b"`]],
    ['a 54-character release name', { ...install, release: 'a'.repeat(54) }, [`release: ${RELEASE_RULE}; got "${'a'.repeat(54)}"`]],
    [
      'missing fields',
      { action: 'install' },
      [
        `release: missing; ${RELEASE_RULE}`,
        "namespace: missing; must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending alphanumeric), at most 63 characters",
        'chart: missing; required for action "install"',
      ],
    ],
    ['an unknown action', { ...install, action: 'deploy' }, ['action: must be one of install, upgrade, rollback, uninstall, test; got "deploy"']],
    ['a bad cluster key', { ...install, cluster: '-x' }, [`cluster: must be a cluster key (letters, digits, '_', '.' and '-', starting with a letter or digit), at most 63 characters; got "-x"`]],
    [
      'unknown fields at every level',
      { ...install, extra: 1, chart: { source: install.chart.source, tag: 'x' }, options: { timeout: 5 } },
      [
        'chart: unknown field "tag"; allowed: source, repo, name, version, digest, credentialsSecretArn, plainHttp, insecureSkipTlsVerify, caBundle',
        'options: unknown field "timeout"; allowed: timeoutSeconds, wait, atomic, noHooks, hookMode, historyMax, keepHistory, createNamespace, installIfMissing, reuseValues, resetValues, serverSide, forceConflicts, forceReplace, takeOwnership, pollSeconds',
        'input: unknown field "extra"; allowed: action, release, namespace, cluster, chart, values, valuesFrom, setFrom, set, revision, options',
      ],
    ],
    [
      'out-of-range and mistyped options',
      { ...install, options: { timeoutSeconds: 31536001, wait: 'yes', historyMax: -1, hookMode: 'parallel', pollSeconds: { min: 0, max: 3601, watch: 61 } } },
      [
        'options.timeoutSeconds: must be an integer from 1 to 31536000; got 31536001',
        'options.wait: must be true or false; got "yes"',
        'options.hookMode: must be one of "weight-groups", "sequential"; got "parallel"',
        'options.historyMax: must be an integer from 0 to 1000; got -1',
        'options.pollSeconds.min: must be an integer from 1 to 300; got 0',
        'options.pollSeconds.max: must be an integer from options.pollSeconds.min to 3600; got 3601',
        'options.pollSeconds.watch: must be an integer from 0 to 60; got 61',
      ],
    ],
    ['a fractional timeout', { ...install, options: { timeoutSeconds: 1.5 } }, ['options.timeoutSeconds: must be an integer from 1 to 31536000; got 1.5']],
    ['poll max below min', { ...install, options: { pollSeconds: { min: 10, max: 5 } } }, ['options.pollSeconds.max: must be at least options.pollSeconds.min (10); got 5']],
    ['reuse and reset values together', { ...install, options: { reuseValues: true, resetValues: true } }, ['options.resetValues: cannot be combined with options.reuseValues (choose one)']],
    ['upgrade without a chart', { action: 'upgrade', release: 'a', namespace: 'b' }, ['chart: missing; required for action "upgrade"']],
    ['rollback with a chart', { action: 'rollback', release: 'a', namespace: 'b', chart: { repo: 'https://charts.example.com', name: 'web' } }, ['chart: not allowed for action "rollback" (only install and upgrade render a chart; rollback uses a stored revision)']],
    [
      'rollback with a chart and values',
      { action: 'rollback', release: 'a', namespace: 'b', chart: { source: 's3://bucket/c.tgz' }, set: ['a=b'] },
      [
        'chart: not allowed for action "rollback" (only install and upgrade render a chart; rollback uses a stored revision)',
        'set: not allowed for action "rollback" (only install and upgrade render a chart; rollback uses a stored revision)',
      ],
    ],
    ['a revision outside rollback', { ...install, revision: 2 }, ['revision: only allowed for action "rollback"']],
    ['revision zero', { action: 'rollback', release: 'a', namespace: 'b', revision: 0 }, ['revision: must be a positive integer; got 0']],
    ['a chart with neither source nor repo', { ...install, chart: { version: '1.0.0' } }, ['chart.source: missing; give source (oci://, https://, s3:// or a path) or repo and name']],
    ['a repository chart without a name, with a source', { ...install, chart: { source: 'oci://r.example.com/c/web', repo: 'https://charts.example.com' } }, ['chart.repo: cannot be combined with chart.source (a repository chart is repo + name)', 'chart.name: missing; required with chart.repo']],
    ['a version for an s3 chart', { ...install, chart: { source: 's3://charts-bucket/web.tgz', version: '1.0.0' } }, ['chart.version: only allowed for oci:// and repository charts (an s3 chart has one version)']],
    ['an oci chart pinned twice', { ...install, chart: { source: 'oci://r.example.com/c/web', version: '1.0.0', digest: `sha256:${'a'.repeat(64)}` } }, ['chart.digest: cannot be combined with chart.version for an oci:// chart (the digest pins it)']],
    ['a digest in the source, a short digest', { ...install, chart: { source: `oci://r.example.com/c/web@sha256:${'a'.repeat(64)}`, digest: 'sha256:abc' } }, ['chart.digest: must be sha256: and 64 lowercase hex digits; got "sha256:abc"', 'chart.source: must not hold a digest; give it as chart.digest']],
    ['an http repository without plainHttp, a bad secret ARN', { ...install, chart: { repo: 'http://charts.example.com', name: 'web', credentialsSecretArn: 'my-secret' } }, ['chart.credentialsSecretArn: must be a Secrets Manager secret ARN; got "my-secret"', 'chart.repo: http:// only with chart.plainHttp: true']],
    ['credentials for an s3 chart', { ...install, chart: { source: 's3://charts-bucket/web.tgz', credentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:charts-AbCdEf' } }, ['chart.credentialsSecretArn: only allowed for oci://, https:// and repository charts; got an s3 chart']],
    ['a one-letter S3 bucket', { ...install, chart: { source: 's3://b/c.tgz' } }, ['chart.source: must be an s3://bucket/key (bucket: 3 to 63 lowercase letters, digits, dots and hyphens), oci://registry/repository/chart or https://…/chart.tgz URL (local paths only when running locally); got "s3://b/c.tgz"']],
    ['an unsupported chart scheme', { ...install, chart: { source: 'ftp://x/y.tgz' } }, ['chart.source: must be an s3://bucket/key (bucket: 3 to 63 lowercase letters, digits, dots and hyphens), oci://registry/repository/chart or https://…/chart.tgz URL (local paths only when running locally); got "ftp://x/y.tgz"']],
    ['a chart given as a string', { ...install, chart: 's3://bucket/c.tgz' }, ['chart: must be an object { source | repo + name, version?, digest?, credentialsSecretArn?, plainHttp?, insecureSkipTlsVerify?, caBundle? }; got "s3://bucket/c.tgz"']],
    // a --set item may hold a secret: its value is never echoed (errors are logged)
    ['a --set item without a key', { ...install, set: ['=1', 'ok=1', 'novalue'] }, ['set[0]: must be "key=value" like helm --set (a non-empty key), at most 4096 characters', 'set[2]: must be "key=value" like helm --set (a non-empty key), at most 4096 characters']],
  ] as [string, unknown, string[]][])('%s', (_name, raw, expected) => {
    expect(problems(raw).split('\n')).toEqual(expected);
  });

  it('refuses a local path that helm would read as a flag', () => {
    expect(problems({ ...install, chart: { source: '--post-renderer=x' } }, { allowLocalPaths: true })).toBe(
      'chart.source: must be an s3://bucket/key (bucket: 3 to 63 lowercase letters, digits, dots and hyphens), oci://registry/repository/chart or https://…/chart.tgz URL or a local path; got "--post-renderer=x"',
    );
  });

  it('never echoes a huge string whole', () => {
    const message = problems({ ...install, release: 'x'.repeat(1_000_000) });
    expect(message.length).toBeLessThan(300);
    expect(message).toContain('(1000000 characters)');
  });
});

describe('hostile values', () => {
  const VALUES_RULE = 'values: must be a JSON object of at most 64 KiB and 32 levels (inline, non-secret values)';
  const deep = (n: number): object => (n === 0 ? {} : { a: deep(n - 1) });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  it.each([
    ['a list', [1], `${VALUES_RULE}; got a list`],
    ['a string', 'replicaCount: 2', `${VALUES_RULE}; got "replicaCount: 2"`],
    ['too deep', deep(40), `${VALUES_RULE}; it is nested deeper than 32 levels (at values${'.a'.repeat(33)})`],
    ['cyclic', cyclic, `${VALUES_RULE}; it is nested deeper than 32 levels (at values${'.self'.repeat(33)})`],
    ['too large', { blob: 'x'.repeat(70_000) }, `${VALUES_RULE}; it is 70011 bytes as JSON`],
    ['too many entries', { list: new Array(70_000).fill(0) }, `${VALUES_RULE}; it is larger than 64 KiB`],
    ['a function', { a: [{ b: () => 1 }] }, `${VALUES_RULE}; values.a[0].b is a function, not JSON`],
    ['a Date', { when: new Date(0) }, `${VALUES_RULE}; values.when is an object, not JSON`],
    ['NaN', { n: Number.NaN }, `${VALUES_RULE}; values.n is NaN, not a JSON number`],
  ])('%s', (_name, values, expected) => {
    expect(problems({ ...install, values })).toBe(expected);
  });

  it('accepts exactly 32 levels', () => {
    expect(parseExecutionInput({ ...install, values: deep(32) }).values).toEqual(deep(32));
  });
});

it('publishes a JSON Schema of the input with rules and defaults', () => {
  const schema = executionInputJsonSchema() as {
    required: string[];
    additionalProperties: boolean;
    properties: Record<string, { pattern?: string; properties?: Record<string, { default?: unknown }> }>;
  };
  expect(schema.required).toEqual(['action', 'release', 'namespace']);
  expect(schema.additionalProperties).toBe(false);
  expect(schema.properties.release.pattern).toBe('^[a-z]([-a-z0-9]*[a-z0-9])?$');
  expect(schema.properties.options.properties?.timeoutSeconds.default).toBe(300);
  const source = (schema.properties.chart.properties as Record<string, { pattern: string }>).source;
  expect(new RegExp(source.pattern).test('s3://bucket/key.tgz')).toBe(true);
  expect(new RegExp(source.pattern).test('./local')).toBe(false);
  expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
});

describe('withDefaultPollSeconds (a deployment default for inputs that set none)', () => {
  const poll = { min: 5, max: 60 };
  it.each([
    ['no options', { action: 'uninstall' }, { action: 'uninstall', options: { pollSeconds: poll } }],
    ['options without pollSeconds', { options: { wait: true } }, { options: { wait: true, pollSeconds: poll } }],
    ['the input sets its own', { options: { pollSeconds: { min: 1 } } }, { options: { pollSeconds: { min: 1 } } }],
    ['options is not an object (validation reports it)', { options: 'fast' }, { options: 'fast' }],
    ['not an object', 'text', 'text'],
  ])('%s', (_name, raw, expected) => {
    expect(withDefaultPollSeconds(raw, poll)).toEqual(expected);
  });

  it('leaves the input alone when the deployment sets no default', () => {
    const raw = { action: 'uninstall' };
    expect(withDefaultPollSeconds(raw, undefined)).toBe(raw);
  });
});

describe('set files (setFrom): how the CLI keeps --set out of the execution input', () => {
  it('takes s3:// sources (local paths locally), for install and upgrade only', () => {
    expect(parseExecutionInput({ ...install, setFrom: ['s3://charts-bucket/values/abc/set.json'] }).setFrom).toEqual(['s3://charts-bucket/values/abc/set.json']);
    expect(problems({ ...install, setFrom: ['/tmp/set.json'] })).toMatch(/^setFrom\[0\]: must be an s3:\/\/bucket\/key/);
    expect(problems({ action: 'rollback', release: 'r', namespace: 'n', setFrom: ['s3://charts-bucket/k'] })).toMatch(/^setFrom: not allowed for action "rollback"/);
  });

  it('reads a JSON list of key=value items, in order', () => {
    expect(parseSetFile('["a.b=1","list[0]=x","empty="]', 'setFrom[0]')).toEqual(['a.b=1', 'list[0]=x', 'empty=']);
  });

  it.each([
    ['not JSON', 'db.password=hunter2', 'setFrom[0]: must be a JSON list of "key=value" strings (not JSON)'],
    ['not a list', '{"db.password":"hunter2"}', 'setFrom[0]: must be a JSON list of "key=value" strings'],
    ['an item without key', '["ok=1","=hunter2"]', 'setFrom[0]: [1] must be "key=value" like helm --set (a non-empty key), at most 4096 characters'],
  ])('refuses %s without quoting it', (_case, text, message) => {
    expect(() => parseSetFile(text, 'setFrom[0]')).toThrow(message);
    expect(() => parseSetFile(text, 'setFrom[0]')).not.toThrow(/hunter2/);
  });
});

it("accepts helm's long timeouts (48h) up to Step Functions' longest execution", () => {
  expect(parseExecutionInput({ ...install, options: { timeoutSeconds: 172800 } }).options.timeoutSeconds).toBe(172800);
});
