/**
 * Real chart servers for tests: the CNCF distribution registry (Debian's `docker-registry`) with
 * htpasswd auth, charts pushed by the real `helm push`, and a Helm repository (a directory made
 * by `helm repo index`) served over HTTP by a small node server, optionally behind basic auth.
 *
 * The registry and the bcrypt module that writes its htpasswd file are Debian packages: when
 * missing they are installed with apt-get (CI runs as root); otherwise the test fails saying
 * which command installs them. Nothing is skipped. TLS servers use a self-signed certificate
 * made by openssl, which is also their CA bundle.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'child_process';
import { createHash } from 'crypto';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { createServer, request as httpRequest, type RequestListener, type Server } from 'http';
import { createServer as createTlsServer, request as httpsRequest } from 'https';
import { createServer as createNetServer } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { binaries } from '../../lib/helm/binaries';

const REGISTRY = '/usr/bin/docker-registry';
const PYTHON = '/usr/bin/python3';
const PACKAGES = ['docker-registry', 'python3-bcrypt'];

const hasTools = () => existsSync(REGISTRY) && spawnSync(PYTHON, ['-c', 'import bcrypt']).status === 0;

/** Installs docker-registry and python3-bcrypt when missing (root only); throws saying how otherwise. */
export function ensureRegistryTools(): void {
  if (hasTools()) return;
  const how = `install them with: sudo apt-get install -y ${PACKAGES.join(' ')}`;
  if (process.getuid?.() !== 0) throw new Error(`${REGISTRY} or ${PYTHON}'s bcrypt module is missing and this process is not root: ${how}`);
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', timeout: 600_000 });
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { encoding: 'utf8', timeout: 600_000 });
    r = install();
  }
  if (r.status !== 0 || !hasTools()) throw new Error(`apt-get install -y ${PACKAGES.join(' ')} failed (${(r.stderr ?? r.error?.message ?? '').trim().split('\n').slice(-2).join(' | ')}); ${how}`);
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A self-signed certificate for 127.0.0.1 (it is its own CA bundle), made by openssl. */
export interface Certificate {
  readonly cert: string;
  readonly key: string;
}

export function selfSignedCertificate(): Certificate {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls-'));
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}

/** The HTTP status of GET url (0: no answer); a TLS server is checked against `ca`. */
function probe(url: string, ca?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { ...(ca ? { ca: readFileSync(ca) } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

export interface Registry {
  /** host:port, as in oci://<host>/… */
  readonly host: string;
  stop(): Promise<void>;
}

/** A plain-HTTP front for a registry whose next `unavailableFor(n)` requests get 503 (a brief outage). */
export interface FlakyFront {
  /** host:port of the front, as in oci://<host>/… */
  readonly host: string;
  unavailableFor(requests: number): void;
  /** Requests answered 503 so far. */
  readonly refused: number;
  stop(): Promise<void>;
}

export async function startFlakyFront(registry: Registry): Promise<FlakyFront> {
  const port = await freePort();
  let unavailable = 0;
  let refused = 0;
  const server = createServer((req, res) => {
    if (unavailable > 0) {
      unavailable--;
      refused++;
      res.writeHead(503).end();
      return;
    }
    const [hostname, upstreamPort] = registry.host.split(':');
    const upstream = httpRequest({ hostname, port: Number(upstreamPort), path: req.url, method: req.method, headers: { ...req.headers, host: registry.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${port}`,
    unavailableFor: (n) => (unavailable = n),
    get refused() {
      return refused;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A distribution registry on 127.0.0.1 (plain HTTP, or TLS with `tls`) whose users are `users` (htpasswd, bcrypt). */
export async function startRegistry(users: Record<string, string>, tls?: Certificate): Promise<Registry> {
  ensureRegistryTools();
  const dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
  const port = await freePort();
  const hash = (password: string) =>
    spawnSync(PYTHON, ['-c', 'import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt(rounds=4)).decode())'], { input: password, encoding: 'utf8' }).stdout.trim();
  writeFileSync(path.join(dir, 'htpasswd'), Object.entries(users).map(([user, password]) => `${user}:${hash(password)}\n`).join(''));
  writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}"${tls ? `, tls: { certificate: ${tls.cert}, key: ${tls.key} }` : ''} }`,
      `auth: { htpasswd: { realm: test, path: ${path.join(dir, 'htpasswd')} } }`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY, ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  // ready when it answers /v2/ (401: auth is on)
  for (let i = 0; ; i++) {
    const status = await probe(`${tls ? 'https' : 'http'}://${host}/v2/`, tls?.cert);
    if (status === 401) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`docker-registry did not start on ${host}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

const run = promisify(execFile);
const helmEnv = (home: string) => ({ ...process.env, HOME: home, HELM_CONFIG_HOME: path.join(home, 'config'), HELM_CACHE_HOME: path.join(home, 'cache'), HELM_DATA_HOME: path.join(home, 'data') });

/** `helm package` of a chart directory; returns the .tgz. */
export async function packageChart(chartDir: string): Promise<string> {
  const out = mkdtempSync(path.join(tmpdir(), 'package-'));
  await run(binaries().helm, ['package', chartDir, '--destination', out], { env: helmEnv(out) });
  return path.join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!);
}

/** The real `helm push` to oci://<host>/<repository>; returns the manifest digest helm printed. */
export async function pushChart(archive: string, host: string, repository: string, user: string, password: string, tls?: Certificate): Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'push-'));
  const transport = tls ? [`--ca-file=${tls.cert}`] : ['--plain-http'];
  const { stdout, stderr } = await run(binaries().helm, ['push', archive, `oci://${host}/${repository}`, ...transport, `--username=${user}`, `--password=${password}`], { env: helmEnv(home) });
  const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(`${stdout}${stderr}`)?.[1];
  if (!digest) throw new Error(`helm push printed no digest: ${stdout}${stderr}`);
  return digest;
}

/**
 * Pushes an OCI artifact that is not a chart (an image-like manifest) under `tag`, with the
 * registry's HTTP API, as another tool would.
 */
export async function pushNotAChart(host: string, repository: string, tag: string, user: string, password: string): Promise<void> {
  const auth = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  const upload = async (blob: Buffer) => {
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: auth });
    const location = new URL(start.headers.get('location')!, `http://${host}`);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: blob });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
    return { digest, size: blob.length };
  };
  const config = await upload(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  const layer = await upload(Buffer.from('not a chart archive'));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  };
  const m = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { ...auth, 'content-type': manifest.mediaType }, body: JSON.stringify(manifest) });
  if (m.status !== 201) throw new Error(`manifest upload: ${m.status} ${await m.text()}`);
}

export interface ChartRepository {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The next `requests` requests get 503 Service Unavailable (a brief outage). */
  unavailableFor(requests: number): void;
  /** Requests answered so far. */
  readonly requests: number;
  stop(): Promise<void>;
}

/**
 * A Helm repository: the archives copied into a directory, `helm repo index` over it, served as
 * static files (basic auth when `credentials` are given).
 */
export async function startChartRepository(archives: string[], credentials?: { username: string; password: string }, tls?: Certificate): Promise<ChartRepository> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chart-repo-'));
  for (const a of archives) copyFileSync(a, path.join(dir, path.basename(a)));
  const port = await freePort();
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  await run(binaries().helm, ['repo', 'index', dir, '--url', url], { env: helmEnv(dir) });
  const expected = credentials && `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  let unavailable = 0;
  let requests = 0;
  const serve: RequestListener = (req, res) => {
    requests++;
    if (unavailable > 0) {
      unavailable--;
      res.writeHead(503).end();
      return;
    }
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end();
      return;
    }
    const file = path.join(dir, path.basename(new URL(req.url ?? '/', url).pathname));
    if (!existsSync(file) || file === dir) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200);
    createReadStream(file).pipe(res);
  };
  const server: Server = tls ? createTlsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, serve) : createServer(serve);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    unavailableFor: (n) => (unavailable = n),
    get requests() {
      return requests;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
