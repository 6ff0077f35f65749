/**
 * The simulated cluster as a real one is reached: HTTPS with its own CA, and bearer-token
 * authentication in front of lib/sim (which has none). It accepts the current static token
 * (rotatable, like a ServiceAccount token in Secrets Manager) and EKS tokens whose presigned STS
 * URL verifies against credentials the fake STS issued, for a known cluster name — what
 * aws-iam-authenticator checks. Anything else gets the API server's 401 Status. It can also stall
 * a request: hold it without an answer, as a dead connection does.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { promisify } from 'util';
import { CLUSTER_ID_HEADER, presignedUrlOf, TOKEN_PREFIX, type AwsCredentials } from '../../lib/kube/aws/eks-token';

export interface Tls {
  readonly key: string;
  readonly cert: string;
  /** base64 of the PEM certificate: kubeconfig's certificate-authority-data. */
  readonly caData: string;
}

/** A self-signed certificate for 127.0.0.1 (openssl, so no dependency). */
export async function selfSignedTls(dir: string): Promise<Tls> {
  const key = path.join(dir, 'tls.key');
  const cert = path.join(dir, 'tls.crt');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=helm-sfn-sim',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ]);
  const certPem = fs.readFileSync(cert, 'utf8');
  return { key: fs.readFileSync(key, 'utf8'), cert: certPem, caData: Buffer.from(certPem).toString('base64') };
}

export interface Stall {
  readonly method: string;
  readonly path: string;
  /** The client gave up (closed the connection) before the stall's time was over. */
  abandonedByClient: boolean;
}

export class ClusterProxy {
  url = '';
  /** Requests refused with 401. */
  refused = 0;
  readonly stalls: Stall[] = [];
  private readonly tokens = new Set<string>();
  private readonly eksClusters = new Set<string>();
  private stallNext?: { matches: (method: string, path: string) => boolean; ms: number };
  private readonly server: https.Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly simUrl: string,
    tls: Tls,
    private readonly credentialsOf: (accessKeyId: string) => AwsCredentials | undefined,
  ) {
    this.server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The static bearer token the cluster accepts from now on (the old one is refused). */
  setToken(token: string): void {
    this.tokens.clear();
    this.tokens.add(token);
  }

  /** EKS tokens for this cluster name are accepted. */
  acceptEks(clusterName: string): void {
    this.eksClusters.add(clusterName);
  }

  /** The next matching request gets no answer for `ms`, then its connection is dropped. */
  stall(matches: (method: string, path: string) => boolean, ms: number): void {
    this.stallNext = { matches, ms };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    void this.authenticated(String(req.headers.authorization ?? '')).then((ok) => {
      if (!ok) {
        this.refused++;
        const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
        res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const stall = this.stallNext;
      if (stall?.matches(req.method ?? 'GET', req.url ?? '/')) {
        this.stallNext = undefined;
        const record: Stall = { method: req.method ?? 'GET', path: req.url ?? '/', abandonedByClient: false };
        this.stalls.push(record);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          req.socket.destroy();
        }, stall.ms);
        this.timers.add(timer);
        req.socket.once('close', () => {
          if (this.timers.delete(timer)) {
            clearTimeout(timer);
            record.abandonedByClient = true;
          }
        });
        return;
      }
      const upstream = http.request(`${this.simUrl}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  private async authenticated(authorization: string): Promise<boolean> {
    const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : '';
    if (this.tokens.has(token)) return true;
    return token.startsWith(TOKEN_PREFIX) && this.validEksToken(token);
  }

  /** Re-signs the presigned GetCallerIdentity URL with the credentials STS issued and compares. */
  private async validEksToken(token: string): Promise<boolean> {
    try {
      const url = presignedUrlOf(token);
      const q = url.searchParams;
      const [accessKeyId, , region] = (q.get('X-Amz-Credential') ?? '').split('/');
      const credentials = this.credentialsOf(accessKeyId);
      const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(q.get('X-Amz-Date') ?? '');
      if (!credentials || !date || q.get('Action') !== 'GetCallerIdentity' || !q.get('X-Amz-SignedHeaders')?.split(';').includes(CLUSTER_ID_HEADER)) return false;
      const signingDate = new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`);
      if (Date.now() - signingDate.getTime() > 15 * 60_000) return false; // aws-iam-authenticator's window
      for (const cluster of this.eksClusters) {
        const signed = await new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 }).presign(
          new HttpRequest({ method: 'GET', protocol: 'https:', hostname: url.hostname, path: '/', headers: { host: url.hostname, [CLUSTER_ID_HEADER]: cluster }, query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } }),
          { expiresIn: Number(q.get('X-Amz-Expires')), signingDate },
        );
        if (signed.query?.['X-Amz-Signature'] === q.get('X-Amz-Signature')) return true;
      }
      return false;
    } catch {
      return false;
    }
  }
}
