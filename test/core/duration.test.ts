import { parseDuration } from '../../lib/core/duration';
import { ErrorName } from '../../lib/core/errors';

describe('parseDuration (Go time.ParseDuration syntax, seconds)', () => {
  it.each([
    ['90s', 90],
    ['5m', 300],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1h30m15s', 5415],
    ['1.5h', 5400],
    ['.5s', 0.5],
    ['5.s', 5],
    ['1500ms', 1.5],
    ['+10s', 10],
    ['0', 0],
    ['0s', 0],
    ['2m0s', 120],
    ['1000000us', 1],
    ['1000000µs', 1],
    ['1000000μs', 1],
    ['1000000000ns', 1],
  ])('%s → %d', (text, seconds) => expect(parseDuration(text)).toBeCloseTo(seconds, 9));

  it.each([
    ['', /expected a number followed by a unit/],
    ['90', /missing unit/],
    ['5 m', /unknown unit " m"/],
    ['5d', /unknown unit "d"/],
    ['5constructor', /unknown unit "constructor"/],
    ['s', /expected a number before each unit/],
    ['.s', /expected a number before each unit/],
    ['1h.', /expected a number before each unit/],
    ['-5s', /must not be negative/],
    ['3000000h', /out of range/],
  ])('fails on "%s"', (text, rule) => {
    expect(() => parseDuration(text)).toThrow(rule);
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ name: ErrorName.InvalidInput, message: expect.stringContaining(`"${text}"`) }));
  });
});
