// The live caseload stream as the pages use it: kept open while the session
// lasts, reopened (and everything read again) when the browser gives up on it.

import * as api from "./api";

/// Watches which patients sync: `changed` with a patient's id, or `null`
/// when some changes may have been missed (read everything again); `state`
/// with words for the page. Answers a function that stops watching.
export function watchCaseload(
  changed: (patientId: string | null) => void,
  state: (words: string) => void = () => {},
): () => void {
  let close: (() => void) | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    const mine = api.caseloadEvents({
      open: () => state("Live: updates appear as patients sync."),
      changed,
      paused: () => state("Live updates paused; reconnecting…"),
      closed: async () => {
        // The browser gave up (the server refused the stream): start again
        // while the session lasts, and catch up on what was missed.
        const session = await api.currentSession().catch(() => undefined);
        if (session === null || close !== mine) return;
        retry = setTimeout(() => {
          connect();
          changed(null);
        }, 3000);
      },
    });
    close = mine;
  };
  connect();
  return () => {
    clearTimeout(retry);
    const stop = close;
    close = null;
    stop?.();
  };
}
