import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

type WriteCallback = (error?: Error | null) => void;

/**
 * undici's connector, with one change: when writing the request body fails because the upstream closed its end
 * (it answered early — 413, 401 — and closed without reading the rest), the socket keeps reading instead of
 * failing, so the answer already on its way is delivered rather than lost to a 502. The rest of the body is
 * discarded. A connection that carried no answer still fails, when reading hits the reset or the end.
 */
export function lingeringConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector(options);
  return (opts, callback) =>
    connect(opts, (err, socket) => {
      if (err === null && socket !== null) keepReadingAfterWriteFailure(socket as Socket);
      callback(err, socket as never);
    });
}

/**
 * A failed write would mark the socket's reading side as errored too (Node's Writable does so for duplexes), and
 * the answer waiting in its buffer would never be read. Writes are reported as done instead; once one has failed,
 * later ones are dropped.
 */
function keepReadingAfterWriteFailure(socket: Socket): void {
  let writeFailed = false;
  const guard =
    (cb: WriteCallback): WriteCallback =>
    (error) => {
      if (isWriteError(error)) {
        writeFailed = true;
        cb();
      } else cb(error);
    };
  const internals = socket as unknown as {
    _write(chunk: unknown, encoding: BufferEncoding, cb: WriteCallback): void;
    _writev(chunks: unknown[], cb: WriteCallback): void;
  };
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (chunk, encoding, cb) => (writeFailed ? cb() : write(chunk, encoding, guard(cb)));
  internals._writev = (chunks, cb) => (writeFailed ? cb() : writev(chunks, guard(cb)));
}

function isWriteError(error: Error | null | undefined): boolean {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}
