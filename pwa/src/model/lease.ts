/**
 * A resource released only once the work holding it has ended. A model update releases the model it
 * replaces while a check may still be running on it; freeing its weights then would break that check.
 */

/** Work asked to run on a resource that has already been released. */
export class ReleasedError extends Error {
  override name = "ReleasedError";
}

export class Lease {
  #holders = 0;
  #releaseAsked = false;
  #released = false;

  /** `release` frees the resource; `what` names it in errors. */
  constructor(
    private readonly release: () => void,
    private readonly what: string,
  ) {}

  /**
   * Runs `work` with the resource kept until it settles. Work may join while a release waits for
   * earlier holders (a check that began before an update still finishes), never once it is done.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.#released) throw new ReleasedError(`${this.what} was replaced or closed; try again`);
    this.#holders++;
    try {
      return await work();
    } finally {
      this.#holders--;
      this.#releaseIfFree();
    }
  }

  /** Releases the resource now when nothing holds it, else when the last holder ends. */
  end(): void {
    this.#releaseAsked = true;
    this.#releaseIfFree();
  }

  #releaseIfFree(): void {
    if (!this.#releaseAsked || this.#released || this.#holders > 0) return;
    this.#released = true;
    this.release();
  }
}
