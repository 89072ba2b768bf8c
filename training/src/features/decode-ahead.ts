/**
 * Decodes files ahead of use: sharp decodes in libuv's thread pool, so while this thread
 * preprocesses or embeds, the next few files are already being decoded. At most `depth` files are
 * decoded or waiting to be used at once, which bounds memory however large the photos are.
 */
import type { RawImage } from "@pifu/core";
import { type DecodeOptions, decodeImage } from "../data/decode.js";

export class DecodeAhead {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly depth = 8,
    readonly options: DecodeOptions = {},
  ) {}

  /** Decodes `path` and hands the pixels to `use` (synchronous), holding one of the `depth` slots throughout. */
  async with<T>(path: string, use: (image: RawImage) => T): Promise<T> {
    await this.acquire();
    try {
      return use(await decodeImage(path, this.options));
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.depth) {
      this.running++;
      return Promise.resolve();
    }
    // First come, first served: batches queued earlier decode first.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
