import { redactError, redactValues } from '../../lib/core/redact';

describe('redactValues: the value goes, the path and the rule stay', () => {
  test.each([
    [
      "values.schema.json (Helm 4's jsonschema): pattern and format",
      "values don't meet the specifications of the schema(s) in the following chart(s):\nvault:\n- at '/db/name': maxLength: got 10, want 3\n- at '/db/password': 'MRK's3cret' does not match pattern '^[a-z]+$'\n- at '/db/email': 'MRK' is not valid 'email'",
      "values don't meet the specifications of the schema(s) in the following chart(s):\nvault:\n- at '/db/name': maxLength: got 10, want 3\n- at '/db/password': <redacted> does not match pattern '^[a-z]+$'\n- at '/db/email': <redacted> is not valid 'email'",
    ],
    [
      'a 422 quoting a string, with escaped quotes',
      'ConfigMap "x" is invalid: metadata.labels: Invalid value: "MRK\\"x": a valid label must be an empty string',
      'ConfigMap "x" is invalid: metadata.labels: Invalid value: <redacted>: a valid label must be an empty string',
    ],
    [
      'several field errors: numbers, unsupported values',
      'Deployment "x" is invalid: [spec.replicas: Invalid value: -3: must be greater than or equal to 0, spec.template.spec.restartPolicy: Unsupported value: "MRK": supported values: "Always"]',
      'Deployment "x" is invalid: [spec.replicas: Invalid value: <redacted>: must be greater than or equal to 0, spec.template.spec.restartPolicy: Unsupported value: <redacted>: supported values: "Always"]',
    ],
    [
      'objects and lists, as JSON or as Go prints them',
      'a: Invalid value: map[string]interface {}{"k":"MRK"}: bad, b: Invalid value: {"c":{"d":"MRK}"}}: bad, c: Invalid value: []string{"MRK"}: bad, d: Duplicate value: ["MRK"]',
      'a: Invalid value: <redacted>: bad, b: Invalid value: <redacted>: bad, c: Invalid value: <redacted>: bad, d: Duplicate value: <redacted>',
    ],
  ])('%s', (_case, message, expected) => {
    expect(redactValues(message)).toBe(expected);
  });

  test('messages without a value are unchanged', () => {
    const message = 'metadata.name: Required value: name or generateName is required; spec.x: Too long: may not be more than 63 bytes';
    expect(redactValues(message)).toBe(message);
  });
});

describe('redactError: a copy of an error fit for a log line', () => {
  test('name, stack frames and cause chain kept; values redacted at every level; object fields dropped', () => {
    const api = Object.assign(new Error('ConfigMap "x" is invalid: data.k: Invalid value: "hunter2": too long'), { code: 422, status: { message: 'Invalid value: "hunter2"' } });
    const outer = Object.assign(new Error('apply ConfigMap web/x: data.k: Invalid value: "hunter2": too long', { cause: api }), { name: 'ApplyFailed' });
    const copy = redactError(outer) as Error;
    expect(copy).toMatchObject({ name: 'ApplyFailed', message: 'apply ConfigMap web/x: data.k: Invalid value: <redacted>: too long' });
    expect(copy.stack!.split('\n')[0]).toBe(`ApplyFailed: ${copy.message}`);
    expect(copy.stack).toMatch(/\n\s+at /);
    expect(copy.cause).toMatchObject({ message: 'ConfigMap "x" is invalid: data.k: Invalid value: <redacted>: too long', code: 422 });
    expect(copy.cause).not.toHaveProperty('status');
    expect(JSON.stringify({ ...copy, stack: copy.stack, cause: { ...(copy.cause as object), message: (copy.cause as Error).message } })).not.toContain('hunter2');
  });

  test('a value that is not an error: strings redacted, scalars kept, objects dropped', () => {
    expect(redactError('Invalid value: "x": bad')).toBe('Invalid value: <redacted>: bad');
    expect(redactError(3)).toBe(3);
    expect(redactError({ secret: 'x' })).toBeUndefined();
  });
});
