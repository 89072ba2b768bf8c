/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the pifu API; empty means the same origin as the app (served with a /v1 proxy). */
  readonly VITE_PIFU_API?: string;
}
