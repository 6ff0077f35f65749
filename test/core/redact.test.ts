import { redactValues } from '../../lib/core/redact';

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
