// One reload at a time: a reload asked for while one runs runs once more
// when that one ends, so a burst of events (a phase deploy sends dozens)
// neither piles up calls nor misses the last change.

/** Wraps `run` so overlapping calls collapse into at most one more run. */
export function coalesced(run: () => Promise<void>, setLoading: (loading: boolean) => void): () => Promise<void> {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    setLoading(true);
    try {
      do {
        again = false;
        await run();
      } while (again);
    } finally {
      running = false;
      setLoading(false);
    }
  };
}
