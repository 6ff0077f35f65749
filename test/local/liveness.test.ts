import { spawn } from 'child_process';
import { hostname } from 'os';
import { currentLiveness, livenessState, parseLiveness } from '../../lib/local/liveness';

describe('livenessState: is the process that holds a local lock still running?', () => {
  test('this process: running', () => {
    expect(livenessState(currentLiveness())).toBe('running');
  });

  test('a process that exited: ended', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    expect(livenessState(JSON.stringify({ ...parseLiveness(currentLiveness()), pid }))).toBe('ended');
  });

  test('a live pid that started at another time (a reused pid): ended', () => {
    const mine = parseLiveness(currentLiveness())!;
    expect(livenessState(JSON.stringify({ ...mine, start: `${Number(mine.start ?? 0) + 1}` }))).toBe(mine.start === undefined ? 'running' : 'ended');
  });

  test('another boot of this host: ended; another host, or no token: unknown', () => {
    const mine = parseLiveness(currentLiveness())!;
    if (mine.boot) expect(livenessState(JSON.stringify({ ...mine, boot: 'another-boot' }))).toBe('ended');
    expect(livenessState(JSON.stringify({ ...mine, host: `not-${hostname()}` }))).toBe('unknown');
    expect(livenessState(undefined)).toBe('unknown');
    expect(livenessState('not json')).toBe('unknown');
  });
});
