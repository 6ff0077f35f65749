/**
 * Older clients for fidelity tests, from Debian's archive (with npm, the only package source
 * this project's machines reach): kubectl 1.20 (package kubernetes-client) and the Python
 * client (python3-kubernetes 22.6 with its pure-Python dependencies). The .debs are fetched
 * with `apt-get download` and unpacked with `dpkg-deb -x` into .cache/debian/<tool>/, once per
 * machine; nothing is installed (kubernetes-client would replace the image's kubectl). A
 * missing package list is refreshed with `apt-get update` once. When the tools cannot be had,
 * the result says why and the tests that need them are skipped with that reason printed.
 *
 * Synchronous on purpose: it runs while jest collects a test file, before any sim is started,
 * so blocking the event loop deadlocks nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const CACHE = path.resolve(__dirname, '..', '..', '.cache', 'debian');

export type Tool<T> = { ok: true; value: T; note: string } | { ok: false; reason: string };

interface Run {
  code: number;
  out: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 300_000 });
  if (r.error) return { code: -1, out: r.error.message };
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const tail = (text: string) => text.trim().split('\n').slice(-3).join(' | ');

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * One apt user at a time (jest runs test files in parallel workers, and two `apt-get update`s
 * fail on apt's own lock). The lock directory holds its owner's pid, so a killed run's lock is
 * taken over.
 */
function withAptLock<T>(work: () => T): T {
  const lock = path.join(CACHE, 'apt.lock');
  fs.mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        // its owner is between mkdir and writing the pid, or just removed it
      }
      if (owner && !alive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      sleepSync(200);
    }
  }
  try {
    return work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** `apt-get download` into `dir`; refreshes the package lists once when a package is unknown or gone from the mirror. */
function download(packages: string[], dir: string): string | undefined {
  const get = () => run('apt-get', ['download', '-o', 'APT::Sandbox::User=root', ...packages], { cwd: dir });
  let r = get();
  if (r.code !== 0) {
    const update = run('apt-get', ['update', '-o', 'APT::Sandbox::User=root']);
    if (update.code !== 0) return `apt-get update failed: ${tail(update.out)}`;
    r = get();
  }
  return r.code === 0 ? undefined : `apt-get download ${packages.join(' ')} failed: ${tail(r.out)}`;
}

/**
 * The unpacked root of `packages` (cached), or why it cannot be had. `prepare` runs once on a
 * fresh unpack (checks, precompiling); what it returns is a reason to give up.
 */
function unpacked(name: string, packages: string[], prepare: (root: string) => string | undefined = () => undefined): Tool<string> {
  const root = path.join(CACHE, name);
  if (fs.existsSync(path.join(root, '.complete'))) return { ok: true, value: root, note: `cached in ${root}` };
  for (const tool of ['apt-get', 'dpkg-deb']) if (run(tool, ['--version']).code !== 0) return { ok: false, reason: `${tool} is not available on this machine` };
  return withAptLock(() => {
    if (fs.existsSync(path.join(root, '.complete'))) return { ok: true, value: root, note: `cached in ${root}` };
    const started = Date.now();
    const tmp = `${root}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    try {
      const failed = download(packages, tmp);
      if (failed) return { ok: false, reason: failed };
      for (const deb of fs.readdirSync(tmp).filter((f) => f.endsWith('.deb'))) {
        const x = run('dpkg-deb', ['-x', path.join(tmp, deb), path.join(tmp, 'root')]);
        if (x.code !== 0) return { ok: false, reason: `dpkg-deb -x ${deb} failed: ${tail(x.out)}` };
        fs.rmSync(path.join(tmp, deb));
      }
      const unusable = prepare(path.join(tmp, 'root'));
      if (unusable) return { ok: false, reason: unusable };
      fs.rmSync(root, { recursive: true, force: true });
      fs.renameSync(path.join(tmp, 'root'), root);
      fs.writeFileSync(path.join(root, '.complete'), `${packages.join(' ')}\n`);
      return { ok: true, value: root, note: `downloaded and unpacked ${packages.length} packages in ${((Date.now() - started) / 1000).toFixed(1)} s` };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

/** kubectl 1.20.2 from Debian bookworm's kubernetes-client. */
export function oldKubectl(): Tool<string> {
  const root = unpacked('kubectl-1.20', ['kubernetes-client']);
  if (!root.ok) return root;
  const kubectl = path.join(root.value, 'usr', 'bin', 'kubectl');
  const version = run(kubectl, ['version', '--client', '--short']);
  if (version.code !== 0) return { ok: false, reason: `${kubectl} does not run: ${tail(version.out)}` };
  return { ok: true, value: kubectl, note: `${version.out.trim()}, ${root.note}` };
}

/**
 * The Python client and Yelp's Swagger 2.0 validator with their pure-Python dependencies; the
 * interpreter is Debian's python3, which the compiled parts (PyYAML) were built for.
 */
const PYTHON_PACKAGES = [
  'python3-kubernetes',
  'python3-swagger-spec-validator',
  'python3-jsonschema',
  'python3-attr',
  'python3-pyrsistent',
  'python3-typing-extensions',
  'python3-cachetools',
  'python3-certifi',
  'python3-chardet',
  'python3-charset-normalizer',
  'python3-dateutil',
  'python3-google-auth',
  'python3-idna',
  'python3-oauthlib',
  'python3-pyasn1',
  'python3-pyasn1-modules',
  'python3-requests',
  'python3-requests-oauthlib',
  'python3-rsa',
  'python3-six',
  'python3-urllib3',
  'python3-websocket',
  'python3-yaml',
];

export interface PythonTools {
  python: string;
  /** PYTHONPATH with the unpacked packages first. */
  pythonPath: string;
}

/** python3-kubernetes (22.6) and swagger_spec_validator, runnable with /usr/bin/python3. */
export function pythonTools(): Tool<PythonTools> {
  const python = '/usr/bin/python3';
  if (!fs.existsSync(python)) return { ok: false, reason: `${python} (Debian's interpreter) is not installed` };
  const sitePackages = (root: string) => path.join(root, 'usr', 'lib', 'python3', 'dist-packages');
  const root = unpacked('python3-tools', PYTHON_PACKAGES, (fresh) => {
    const check = run(python, ['-c', 'import kubernetes, swagger_spec_validator'], { env: { ...process.env, PYTHONPATH: sitePackages(fresh) } });
    if (check.code !== 0) return `the Python packages do not import: ${tail(check.out)}`;
    // bytecode once, so each test's interpreter skips compiling (this environment may set PYTHONDONTWRITEBYTECODE)
    run(python, ['-m', 'compileall', '-q', '-j', '0', sitePackages(fresh)]);
    return undefined;
  });
  if (!root.ok) return root;
  return { ok: true, value: { python, pythonPath: sitePackages(root.value) }, note: root.note };
}

/** `describe`, or `describe.skip` with the reason printed, for tests that need a tool. */
export function describeWith<T>(tool: Tool<T>, title: string, body: (value: T) => void): void {
  if (tool.ok) {
    process.stderr.write(`${title}: ${tool.note}\n`);
    describe(title, () => body(tool.value));
  } else {
    process.stderr.write(`SKIPPED ${title}: ${tool.reason}\n`);
    describe.skip(`${title} (skipped: ${tool.reason})`, () => body(undefined as T));
  }
}
