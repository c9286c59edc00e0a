/** Calls `publishOne(n)` for n = 0 … count-1 with at most `inFlight` of them pending at once. */
export async function keepInFlight(count, inFlight, publishOne) {
  let next = 0;
  const lane = async () => {
    while (next < count) await publishOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
}
