// Registry authentication as Docker does it: a request answered 401 carries
// a WWW-Authenticate challenge. "Basic" asks for the user's credentials on
// every request; "Bearer" names a token service (realm, service), which gives
// a token for the scopes asked (repository:NAME:pull,push), presenting the
// user's credentials when there are any (anonymous pulls get a token too).
// Tokens are kept per scope set until they expire. Credentials never appear
// in a message.

import { RegistryError, failure, networkCause } from './errors.ts';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** The challenges of a WWW-Authenticate header (RFC 7235: scheme, then comma-separated key=value or key="quoted" params). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const token = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*/y;
  let i = 0;
  while (i < header.length) {
    token.lastIndex = i;
    const scheme = token.exec(header);
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme[1]!.toLowerCase(), params: {} };
    out.push(challenge);
    i = token.lastIndex;
    for (;;) {
      const param = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;
      param.lastIndex = i;
      const m = param.exec(header);
      if (!m) break;
      challenge.params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
      i = param.lastIndex;
    }
    while (header[i] === ',' || header[i] === ' ') i++;
  }
  return out;
}

const basic = (c: Credentials) => 'Basic ' + btoa(String.fromCharCode(...new TextEncoder().encode(`${c.username}:${c.password}`)));

/** A token's life when the service does not say (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;

/** The Authorization header for each scope set, learnt from the registry's challenges. */
export class Authorizer {
  private basicAccepted = false;
  private readonly tokens = new Map<string, { header: string; expires: number }>();
  /** Token requests in flight, so concurrent requests for the same scopes share one. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly fetch: typeof globalThis.fetch,
    private readonly credentials: Credentials | undefined,
    private readonly registry: string,
    private readonly timeoutMs: number,
  ) {}

  /** The header to send with a request needing these scopes, if one is known. */
  header(scopes: string[]): string | undefined {
    if (this.basicAccepted && this.credentials) return basic(this.credentials);
    const t = this.tokens.get(scopes.join(' '));
    return t && t.expires > Date.now() ? t.header : undefined;
  }

  /**
   * Answers a 401 to a request that carried `sent` (or no Authorization):
   * learns a header for the scopes from the challenge, or throws saying why
   * it cannot. Requests run concurrently, so a 401 to a request sent before
   * another one learnt the header is simply tried again.
   */
  async challenged(res: Response, scopes: string[], sent: string | undefined): Promise<void> {
    const current = this.header(scopes);
    if (current !== undefined && current !== sent) return;
    const challenges = parseChallenges(res.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      if (sent !== undefined && sent === current) {
        throw new RegistryError(
          `${this.registry} refused the token its token service gave for ${scopes.join(' ') || 'login'}${this.credentials ? ` to user ${this.credentials.username}` : ': run glassbox login ' + this.registry}`,
        );
      }
      const key = scopes.join(' ');
      let pending = this.pending.get(key);
      if (!pending) {
        pending = this.fetchToken(bearer.params, scopes).finally(() => this.pending.delete(key));
        this.pending.set(key, pending);
      }
      return pending;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!this.credentials) throw new RegistryError(`${this.registry} requires authentication: run glassbox login ${this.registry}`);
      if (sent !== undefined) throw await failure(res, `${this.registry} refused the credentials of user ${this.credentials.username}`);
      this.basicAccepted = true;
      return;
    }
    throw await failure(
      res,
      `${this.registry} asked for authentication glassbox does not speak (${challenges.map((c) => c.scheme).join(', ') || 'no WWW-Authenticate challenge'})`,
    );
  }

  private async fetchToken(params: Record<string, string>, scopes: string[]): Promise<void> {
    const key = scopes.join(' ');
    if (!params.realm) throw new RegistryError(`${this.registry} sent a Bearer challenge without a realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = this.credentials ? { authorization: basic(this.credentials) } : {};
    let res: Response;
    try {
      res = await this.fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new RegistryError(`cannot reach the token service ${url.origin} of ${this.registry}: ${networkCause(e)}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw await failure(
        res,
        this.credentials
          ? `${this.registry}'s token service refused the credentials of user ${this.credentials.username}`
          : `${this.registry}'s token service refused an anonymous token: run glassbox login ${this.registry}`,
      );
    }
    if (!res.ok) throw await failure(res, `${this.registry}'s token service ${url.origin}`);
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${this.registry}'s token service answered without a token`);
    this.tokens.set(key, { header: `Bearer ${token}`, expires: Date.now() + (body.expires_in ?? DEFAULT_TOKEN_SECONDS) * 1000 });
  }
}
