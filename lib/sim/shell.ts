/**
 * The sim's "kubelet" runs a container by interpreting a small shell subset of its
 * command/args: `sh -c "…"` scripts with `sleep N` (fractional, s/m/h suffixes), `echo …`,
 * `exit N`, `true`, `false`, `:`, `set -e`, `exec`, separated by `;`, `&&`, `||` and newlines.
 * Any other program (a server binary, `wget`, an image's entrypoint) is a `program` step whose
 * run the kubelet decides by the Pod's restartPolicy (see lib/sim/README.md, "Containers").
 * Pure: a script becomes a list of steps and an exit code, which the kubelet plays out on the
 * sim's clock.
 */

/** `program`: a program the sim does not model; it exits 0 if it ever exits. */
export type Step = { kind: 'sleep'; ms: number } | { kind: 'log'; text: string } | { kind: 'program'; name: string };

export interface ContainerProgram {
  steps: Step[];
  exitCode: number;
}

type Connector = ';' | '&&' | '||';

interface Statement {
  words: string[];
  /** How this statement is joined to the previous one. */
  after: Connector;
}

/** Splits a script into statements, honouring quotes, backslashes and comments. */
export function parseScript(script: string): Statement[] {
  const statements: Statement[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let connector: Connector = ';';
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endStatement = (next: Connector) => {
    endWord();
    if (words.length) statements.push({ words, after: connector });
    words = [];
    connector = next;
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (c === "'" || c === '"') {
      const close = script.indexOf(c, i + 1);
      const end = close < 0 ? script.length : close;
      word += script.slice(i + 1, end).replace(c === '"' ? /\\(["\\$`])/g : /$^/g, '$1');
      inWord = true;
      i = end;
    } else if (c === '\\' && i + 1 < script.length) {
      if (script[i + 1] !== '\n') {
        word += script[i + 1];
        inWord = true;
      }
      i++;
    } else if (c === '#' && !inWord) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++;
    } else if (c === '&' && script[i + 1] === '&') {
      endStatement('&&');
      i++;
    } else if (c === '|' && script[i + 1] === '|') {
      endStatement('||');
      i++;
    } else if (c === ';' || c === '\n') {
      endStatement(';');
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else {
      word += c;
      inWord = true;
    }
  }
  endStatement(';');
  return statements;
}

/** `sleep` operands: seconds, optionally fractional, with an s/m/h/d suffix; summed like GNU sleep. */
export function sleepMs(operands: string[]): number | undefined {
  let total = 0;
  for (const op of operands) {
    const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(op);
    if (!m) return undefined;
    total += Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  }
  return Math.round(total * 1000);
}

export function interpretScript(script: string): ContainerProgram {
  const steps: Step[] = [];
  let status = 0;
  let errexit = false;
  for (const { words, after } of parseScript(script)) {
    if ((after === '&&' && status !== 0) || (after === '||' && status === 0)) continue;
    const execed = words[0] === 'exec' && words.length > 1;
    const [cmd, ...rest] = execed ? words.slice(1) : words;
    switch (cmd) {
      case 'sleep': {
        const ms = sleepMs(rest);
        if (ms === undefined) {
          steps.push({ kind: 'log', text: `sleep: invalid time interval '${rest.join(' ')}'` });
          status = 1;
        } else {
          steps.push({ kind: 'sleep', ms });
          status = 0;
        }
        break;
      }
      case 'echo': {
        const noNewline = rest[0] === '-n';
        steps.push({ kind: 'log', text: (noNewline ? rest.slice(1) : rest).join(' ') });
        status = 0;
        break;
      }
      case 'exit':
        return { steps, exitCode: rest.length ? Number(rest[0]) & 0xff : status };
      case 'true':
      case ':':
      case 'exec': // exec without a command changes nothing here
        status = 0;
        break;
      case 'false':
        status = 1;
        break;
      case 'set':
        if (rest.some((r) => /^-[a-z]*e/.test(r))) errexit = true;
        status = 0;
        break;
      default:
        steps.push({ kind: 'program', name: cmd });
        status = 0;
    }
    // exec replaces the shell: its program's status is the container's
    if (execed) return { steps, exitCode: status };
    if (errexit && status !== 0 && after !== '&&' && after !== '||') return { steps, exitCode: status };
  }
  return { steps, exitCode: status };
}

const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash', 'ash', '/bin/ash', 'dash', '/bin/dash', '/usr/bin/env sh']);
/** Commands the subset models; as the first word of `args` they mark an image without ENTRYPOINT (busybox). */
const MODELED = new Set(['sleep', '/bin/sleep', 'echo', '/bin/echo', 'true', '/bin/true', 'false', '/bin/false', 'exit', 'exec', ':']);

/** The image's own entrypoint: a program the sim knows nothing about. */
const ENTRYPOINT: ContainerProgram = { steps: [{ kind: 'program', name: '(image entrypoint)' }], exitCode: 0 };

/**
 * The program of a container. argv = command ++ args when a command is set. Without one, args
 * replace an image's CMD: when they start with a shell or a modeled command (an image without
 * ENTRYPOINT, such as busybox) they are the argv; otherwise they are flags for the image's
 * entrypoint, which runs like an unmodeled program. Neither set: the image's entrypoint.
 */
export function interpretContainer(command?: string[], args?: string[]): ContainerProgram {
  const argv = command?.length ? [...command, ...(args ?? [])] : args?.length && (SHELLS.has(args[0]) || MODELED.has(args[0])) ? args : [];
  if (argv.length === 0) return ENTRYPOINT;
  if (SHELLS.has(argv[0])) {
    if (argv.length === 1) return { steps: [], exitCode: 0 }; // a shell reading an empty stdin
    const c = argv.findIndex((a, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(a));
    if (c < 0) return { steps: [{ kind: 'program', name: argv.slice(0, 2).join(' ') }], exitCode: 0 }; // a script file
    if (c + 1 >= argv.length) return { steps: [], exitCode: 0 };
    return interpretScript(argv[c + 1]);
  }
  // a bare command: quote each word so the script parser keeps it intact
  return interpretScript(argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' '));
}

/** Whether the program reaches a step that, under restartPolicy Always, never returns. */
export const reachesProgram = (p: ContainerProgram): boolean => p.steps.some((s) => s.kind === 'program');
