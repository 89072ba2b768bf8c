/** A small fetch wrapper for the CLI: every failure becomes a CliError with a message a maintainer can act on. */
export class CliError extends Error {
  override name = "CliError";
}

export interface ApiClient {
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Like request, but throws a CliError (with the server's message) on any non-2xx status. */
  ok(path: string, init?: RequestInit, what?: string): Promise<Response>;
}

/** Throws a CliError describing a failed response. */
export async function failure(res: Response, what: string): Promise<never> {
  const message = await serverMessage(res);
  if (res.status === 401) throw new CliError(`${what}: the API refused the admin token (401): ${message}`);
  throw new CliError(`${what} failed with HTTP ${res.status}: ${message}`);
}

async function serverMessage(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return `${body.error.message} (${body.error.code ?? res.status})`;
  } catch {
    // Not the API's error shape: show the raw start of the body.
  }
  return text.slice(0, 200) || res.statusText;
}

export function apiClient(api: string, token?: string): ApiClient {
  let base: URL;
  try {
    base = new URL(api);
  } catch {
    throw new CliError(`--api must be a URL such as http://127.0.0.1:8787, got ${JSON.stringify(api)}`);
  }
  const root = base.toString().replace(/\/+$/, "");
  const request = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    try {
      return await fetch(`${root}${path}`, { ...init, headers });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the API at ${root}: ${cause?.code ?? cause?.message ?? String(error)}`);
    }
  };
  return {
    request,
    async ok(path, init, what = `${init?.method ?? "GET"} ${path}`) {
      const res = await request(path, init);
      return res.ok ? res : failure(res, what);
    },
  };
}

/** The admin token from --token or PIFU_ADMIN_TOKEN (better: an argument shows in `ps` and shell history). */
export function tokenFrom(option: string | undefined): string {
  const token = option ?? process.env.PIFU_ADMIN_TOKEN;
  if (!token) throw new CliError("an admin token is required: pass --token or set PIFU_ADMIN_TOKEN");
  return token;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The warning for an API URL that would carry the admin token unencrypted to another machine, else undefined. */
export function plainHttpWarning(api: string): string | undefined {
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" || LOCAL_HOSTS.has(url.hostname)) return undefined;
  return `warning: the admin token goes to ${url.host} over plain http, readable on the way; use https`;
}

/** Prints plainHttpWarning's line on stderr, if any. */
export function warnIfPlainHttp(api: string): void {
  const warning = plainHttpWarning(api);
  if (warning) console.error(warning);
}
