// Errors from talking to a registry, each naming the registry and what was
// asked of it, with the registry's own words when it sent an error body
// (the distribution spec's {"errors": [{"code", "message", "detail"}]}).

export class RegistryError extends Error {
  override name = 'RegistryError';
}

interface ErrorBody {
  errors?: { code?: string; message?: string }[];
}

/** An error for a response that was not what the request needed. */
export async function failure(res: Response, what: string): Promise<RegistryError> {
  let words = '';
  try {
    const body = (await res.json()) as ErrorBody;
    words = (body.errors ?? []).map((e) => [e.code?.toLowerCase().replace(/_/g, ' '), e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    // not JSON: the status says it all
  }
  return new RegistryError(`${what}: ${res.status} ${res.statusText}${words ? ` (${words})` : ''}`);
}

/** Why fetch itself failed (no response at all), in words: "connection refused", "timed out". */
export function networkCause(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return err.message || 'timed out';
  const code = err.cause?.code;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/.test(code)) {
    return `TLS: ${err.cause!.message} (no CA this machine trusts vouches for the registry's certificate; $SSL_CERT_FILE names another CA bundle)`;
  }
  const named: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is the registry running?)',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name could not be resolved',
    UND_ERR_SOCKET: 'the connection closed early',
    ETIMEDOUT: 'timed out',
  };
  // A browser's fetch says only "Failed to fetch" (no cause), whether the host is down or CORS refused the answer.
  if (err.name === 'TypeError' && err.cause === undefined) return `${err.message} (${BROWSER_HINT})`;
  return (code && named[code]) ?? err.cause?.message ?? err.message;
}

const BROWSER_HINT =
  'in a browser, also what a CORS refusal looks like: the registry must send CORS headers for this origin and answer preflight OPTIONS requests with 200 or 204, which docker-registry does not do with authentication on unless a proxy in front of it does';
