// A promise's answer, or a rejection once `ms` have passed without one: for what may stop
// answering without failing (a partitioned Redis, a stuck database), where waiting on is worse
// than going on without it. The promise itself is not cancelled.
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
