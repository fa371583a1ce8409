/** Errors of the client: an Error with a `code` (a server code from PROTOCOL.md or one of the client's own). */
export function lrError(code, message, extra) {
  const e = new Error(message || code);
  e.code = code;
  if (extra) {
    Object.assign(e, extra);
  }
  return e;
}

/** A server error reply ({code, message, retryAfterMs?}) as an Error. */
export function fromReply(error) {
  const e = error || {};
  return lrError(e.code || 'INTERNAL', e.message, e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : null);
}
