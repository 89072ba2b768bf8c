/**
 * The whole system for end-to-end tests: the PWA built with a fixture model embedded, the real API
 * under workerd, and the app served on one origin with /v1 proxied to the API.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, type Plugin } from "vite";
import { type LocalApi, startLocalApi } from "../../api/src/dev/local-api.js";
import { pwaConfig } from "../../pwa/build/config.js";
import { type ServedPwa, servePwa } from "../../pwa/build/serve.js";

export interface Stack {
  api: LocalApi;
  app: ServedPwa;
  /** The built app being served: a test may change it, as a new release would. */
  distDir: string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** The model folder built into the app as its default. */
  embeddedModelDir: string;
  /** Request paths whose bytes the server flips before the app gets them (a corrupted download). */
  corrupt?: (path: string) => boolean;
}

/** Serves a damaged copy of selected API files: the API itself refuses bad uploads, so tamper in transit. */
function tamper(apiUrl: () => string, corrupt: (path: string) => boolean): Plugin {
  return {
    name: "pifu-test-tamper",
    configurePreviewServer(server) {
      server.middlewares.use((request, response, next) => {
        const path = request.url ?? "";
        if (!corrupt(path)) return next();
        fetch(apiUrl() + path)
          .then(async (upstream) => {
            const body = Buffer.from(await upstream.arrayBuffer());
            if (body.length > 0) body[body.length - 1] = (body[body.length - 1] as number) ^ 0xff;
            response.statusCode = upstream.status;
            response.setHeader("content-type", upstream.headers.get("content-type") ?? "application/octet-stream");
            response.end(body);
          })
          .catch(next);
      });
    },
  };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const work = await mkdtemp(join(tmpdir(), "pifu-e2e-"));
  const distDir = join(work, "dist");
  await build(pwaConfig({ modelDir: options.embeddedModelDir, outDir: distDir, apiOrigin: "" }));
  const api = await startLocalApi({ feedbackRateLimit: 10_000 });
  try {
    const app = await servePwa({
      distDir,
      apiUrl: api.url,
      plugins: options.corrupt ? [tamper(() => api.url, options.corrupt)] : [],
    });
    return {
      api,
      app,
      distDir,
      close: async () => {
        await app.close();
        await api.stop();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await api.stop();
    throw error;
  }
}
