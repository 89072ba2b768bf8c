/**
 * Requests to the API that always end: a time limit on the answer, an idle limit on a download's
 * bytes, and errors errors.ts can name (an HTTP status, no connection, a stalled download).
 */

/** The server answered with an HTTP error status. */
export class HttpStatusError extends Error {
  override name = "HttpStatusError";
  constructor(
    readonly status: number,
    url: string,
    method = "GET",
  ) {
    super(`${method} ${url} answered ${status}`);
  }
}

/** The request did not reach the server, or the connection dropped before the answer was whole. */
export class NetworkError extends Error {
  override name = "NetworkError";
}

/** A download received no bytes for `seconds`. */
export class DownloadStalledError extends Error {
  override name = "DownloadStalledError";
  constructor(
    readonly seconds: number,
    url: string,
  ) {
    super(`no data from ${url} for ${seconds} s`);
  }
}

/**
 * Runs `work`, turning the TypeError fetch and body reads throw for a failed connection into a
 * NetworkError. A time limit's TimeoutError and an AbortError pass through as they are.
 */
export async function networked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TypeError) throw new NetworkError(error.message, { cause: error });
    throw error;
  }
}

/**
 * fetch with a limit on the whole exchange (`timeoutMs`, body included when the caller reads it with
 * the response's signal still running); throws HttpStatusError for an error status.
 */
export function fetchOk(url: string, init: RequestInit & { timeoutMs: number }): Promise<Response> {
  const { timeoutMs, ...rest } = init;
  return networked(async () => {
    const response = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new HttpStatusError(response.status, url, rest.method);
    return response;
  });
}

/** fetchOk's JSON body, read within the same time limit. */
export function fetchJson(url: string, init: RequestInit & { timeoutMs: number }): Promise<unknown> {
  return networked(async () => (await fetchOk(url, init)).json());
}

/**
 * Downloads `url` whole, however slowly, but gives up with DownloadStalledError once no bytes have
 * come for `idleMs` (waiting for the answer included).
 */
export async function downloadBytes(url: string, idleMs: number): Promise<Uint8Array> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stalled = false;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, idleMs);
  };
  try {
    return await networked(async () => {
      watch();
      const response = await fetch(url, { signal: controller.signal });
      if (!response.ok) throw new HttpStatusError(response.status, url);
      if (!response.body) return new Uint8Array(await response.arrayBuffer());
      const chunks: Uint8Array[] = [];
      let length = 0;
      const reader = response.body.getReader();
      for (;;) {
        watch();
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        length += value.length;
      }
      const bytes = new Uint8Array(length);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      return bytes;
    });
  } catch (error) {
    if (stalled) throw new DownloadStalledError(Math.round(idleMs / 1000), url);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
