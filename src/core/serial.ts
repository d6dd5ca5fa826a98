/**
 * Runs async jobs one at a time, in the order they were handed in: a promise chain. A job that
 * fails does not stop the ones after it; its caller gets the rejection.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `job` after every job handed in before it has settled.
   * @returns what `job` resolves to
   * @throws what `job` throws
   */
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
