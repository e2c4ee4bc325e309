/**
 * Waits for every promise, then throws the first failure: unlike
 * Promise.all, nothing the caller started is still running when it goes on
 * (a folder's checkpoint is taken only once all its writes are over).
 */
export async function allDone<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
