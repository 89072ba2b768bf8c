/** Serves a built PWA with `vite preview`, proxying /v1 to the API so the app and API share one origin. */
import { createServer } from "node:net";
import { type Plugin, preview } from "vite";
import { ISOLATION_HEADERS, PWA_ROOT } from "./config.js";

export interface ServeOptions {
  distDir: string;
  apiUrl: string;
  /** 0 or absent picks a free port. */
  port?: number;
  host?: string;
  /** Extra middleware (tests use it to tamper with responses); runs before the proxy. */
  plugins?: Plugin[];
}

export interface ServedPwa {
  url: string;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject()));
    });
  });
}

export async function servePwa(options: ServeOptions): Promise<ServedPwa> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port || (await freePort());
  const server = await preview({
    configFile: false,
    root: PWA_ROOT,
    logLevel: "warn",
    build: { outDir: options.distDir },
    plugins: options.plugins ?? [],
    preview: {
      host,
      port,
      strictPort: true,
      headers: ISOLATION_HEADERS,
      proxy: { "/v1": { target: options.apiUrl, changeOrigin: true } },
    },
  });
  return {
    url: `http://${host}:${port}/`,
    close: () => server.close(),
  };
}
