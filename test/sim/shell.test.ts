import { interpretContainer, interpretScript, parseScript, sleepMs } from '../../lib/sim/shell';

describe('the kubelet shell subset', () => {
  it('plays sleep and echo in order and exits with the last status', () => {
    expect(interpretScript('sleep 1; echo done')).toEqual({ steps: [{ kind: 'sleep', ms: 1000 }, { kind: 'log', text: 'done' }], exitCode: 0 });
  });

  it.each([
    ['exit 3', 3],
    ['false', 1],
    ['true', 0],
    ['echo a && false', 1],
    ['false && echo never', 1],
    ['false || true', 0],
    ['echo a; exit 0; echo never', 0],
    ['exit 300', 44],
  ])('%j exits with %d', (script, code) => {
    expect(interpretScript(script).exitCode).toBe(code);
  });

  it('skips commands after a failed && and runs those after ;', () => {
    const p = interpretScript('false && echo skipped; echo ran');
    expect(p.steps).toEqual([{ kind: 'log', text: 'ran' }]);
  });

  it('keeps quoted separators inside words and honours newlines and comments', () => {
    const p = interpretScript('echo "a; b && c" # comment\necho \'single quoted\'\n\n');
    expect(p.steps).toEqual([
      { kind: 'log', text: 'a; b && c' },
      { kind: 'log', text: 'single quoted' },
    ]);
  });

  it('turns programs it does not model into program steps that succeed', () => {
    expect(interpretScript('wget http://x && echo after')).toEqual({
      steps: [
        { kind: 'program', name: 'wget' },
        { kind: 'log', text: 'after' },
      ],
      exitCode: 0,
    });
  });

  it('ends the script at exec, with the status of the program it runs', () => {
    expect(interpretScript('echo start; exec nginx -g "daemon off;"; echo never')).toEqual({
      steps: [
        { kind: 'log', text: 'start' },
        { kind: 'program', name: 'nginx' },
      ],
      exitCode: 0,
    });
    expect(interpretScript('exec false; echo never')).toEqual({ steps: [], exitCode: 1 });
  });

  it('stops at the first failure under set -e', () => {
    expect(interpretScript('set -e; false; echo never')).toEqual({ steps: [], exitCode: 1 });
  });

  it.each([
    [['0.5'], 500],
    [['2s'], 2000],
    [['1m', '1'], 61_000],
    [['.25'], 250],
    [['x'], undefined],
  ])('sleep %j is %s ms', (operands, ms) => {
    expect(sleepMs(operands)).toBe(ms);
  });

  it('reads sh -c scripts from command or args, and bare commands as argv', () => {
    expect(interpretContainer(['sh', '-c'], ['echo hi; exit 2'])).toEqual({ steps: [{ kind: 'log', text: 'hi' }], exitCode: 2 });
    expect(interpretContainer(['/bin/sh', '-ec', 'sleep 0.1']).steps).toEqual([{ kind: 'sleep', ms: 100 }]);
    expect(interpretContainer(['echo', "it's; fine"]).steps).toEqual([{ kind: 'log', text: "it's; fine" }]);
    expect(interpretContainer(['sh', '-c', 'exit 1'])).toEqual({ steps: [], exitCode: 1 });
  });

  const ENTRYPOINT = { steps: [{ kind: 'program', name: '(image entrypoint)' }], exitCode: 0 };
  it.each([
    ['neither command nor args', undefined, undefined, ENTRYPOINT],
    ['args that are flags of the entrypoint', undefined, ['--save', '', '--appendonly', 'no'], ENTRYPOINT],
    ['args naming a binary of the image', undefined, ['/nginx-ingress-controller', '--election-id=x'], ENTRYPOINT],
    ['a server command', ['/manager'], ['--leader-elect'], { steps: [{ kind: 'program', name: '/manager' }], exitCode: 0 }],
    ['a shell running a script file', ['sh', '/scripts/run.sh'], undefined, { steps: [{ kind: 'program', name: 'sh /scripts/run.sh' }], exitCode: 0 }],
    ['args that start with a shell (an image without ENTRYPOINT)', undefined, ['sh', '-c', 'exit 3'], { steps: [], exitCode: 3 }],
    ['args that start with a modeled command', undefined, ['sleep', '2'], { steps: [{ kind: 'sleep', ms: 2000 }], exitCode: 0 }],
  ])('runs %s like the image would', (_what, command, args, program) => {
    expect(interpretContainer(command, args)).toEqual(program);
  });

  it('records how statements are joined', () => {
    expect(parseScript('a && b || c; d').map((s) => s.after)).toEqual([';', '&&', '||', ';']);
  });
});
