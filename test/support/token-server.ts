// A token service for a test registry configured with `auth: token` (the
// distribution spec's token authentication): the registry answers 401 with a
// Bearer challenge naming this service; this service checks the user's basic
// credentials and issues a JWT (ES256, signed by a key whose self-signed
// certificate the registry trusts via rootcertbundle and which the token
// carries in its x5c header) granting the scopes asked. Anonymous requests
// get a token granting nothing. Every request's scopes and user are recorded.

import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSigned } from './self-signed.ts';

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** The certificate file the registry's rootcertbundle names. */
  rootCertBundle: string;
  requests: { user: string | undefined; scopes: string[] }[];
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** `cors`: answer browsers' preflights and let any origin read the tokens, so a page's registry client can use the service. */
export async function startTokenServer(users: Record<string, string>, { cors = false } = {}): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-token-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  selfSigned(keyFile, certFile, '/CN=glassbox test token issuer');
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw;
  const service = 'glassbox-test-registry';
  const issuer = 'glassbox-test-token-issuer';
  const requests: TokenServer['requests'] = [];

  const server: Server = createServer((req, res) => {
    if (cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'Authorization');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    }
    const url = new URL(req.url!, 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [user, pass] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(/:(.*)/s) : [undefined, undefined];
    requests.push({ user, scopes });
    if (user !== undefined && users[user] !== pass) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const access =
      user === undefined
        ? []
        : scopes.map((s) => {
            const [type, name, actions] = s.split(':');
            return { type, name, actions: actions!.split(',') };
          });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: [certDer.toString('base64')] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: user ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${header}.${claims}.${b64url(signature)}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certFile,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
