// Lookups asked in the same turn of the event loop, answered by one batched call: plugins ask
// about every camera at once every few seconds, and one MGET is far cheaper than thousands of
// GETs on a store every node shares.

/** A lookup of one key that joins the other keys asked in this turn into one batch. */
export function coalesce<K, V>(lookupMany: (keys: K[]) => Promise<V[]>, maxBatch = 1000): (key: K) => Promise<V> {
  let pending = new Map<K, Array<{ resolve: (v: V) => void; reject: (e: unknown) => void }>>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += maxBatch) {
      const chunk = keys.slice(i, i + maxBatch);
      lookupMany(chunk).then(
        (values) => chunk.forEach((k, j) => { for (const w of batch.get(k)!) w.resolve(values[j] as V); }),
        (err) => chunk.forEach((k) => { for (const w of batch.get(k)!) w.reject(err); }),
      );
    }
  };
  return (key) => new Promise<V>((resolve, reject) => {
    const waiting = pending.get(key);
    if (waiting) waiting.push({ resolve, reject });
    else pending.set(key, [{ resolve, reject }]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}
