import { connect, type Socket } from 'node:net';

/**
 * Raw TCP connections to the gateway, for clients that do not speak HTTP the way `fetch` does:
 * ones that send half a request and wait, or drip their headers a byte at a time. Each records
 * what the server answered and when the server closed it; `destroyAll` cleans up whatever is left.
 */
export interface RawConnection {
  socket: Socket;
  /** `performance.now()` when it connected. */
  connectedAt: number;
  /** `performance.now()` when it closed (by either side); undefined while open. */
  closedAt: number | undefined;
  /** What the server sent, as text (the first 64 KiB). */
  received: string;
  /** Settles when the connection closes, with how long it was open, in ms. */
  closed: Promise<number>;
}

const RECEIVED_MAX = 64 * 1024;

export function openConnection(url: string, opened: Set<RawConnection>): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let resolveClosed!: (ms: number) => void;
    const connection: RawConnection = {
      socket,
      connectedAt: NaN,
      closedAt: undefined,
      received: '',
      closed: new Promise((settle) => (resolveClosed = settle)),
    };
    opened.add(connection);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (connection.received.length < RECEIVED_MAX) connection.received += chunk.slice(0, RECEIVED_MAX - connection.received.length);
    });
    socket.on('error', () => {}); // a reset is one of the answers these tests expect
    socket.once('close', () => {
      connection.closedAt = performance.now();
      resolveClosed(connection.closedAt - (Number.isNaN(connection.connectedAt) ? connection.closedAt : connection.connectedAt));
    });
    socket.once('connect', () => {
      connection.connectedAt = performance.now();
      resolve(connection);
    });
    socket.once('close', () => reject(new Error(`the connection to ${url} closed before it was established`)));
  });
}

/** The status of the HTTP response a connection received, or 0 if none. */
export function statusOf(connection: RawConnection): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(connection.received)?.[1] ?? 0);
}

export function destroyAll(opened: Set<RawConnection>) {
  for (const connection of opened) connection.socket.destroy();
  opened.clear();
}

/** Waits for `closed` or until `ms` have passed, whichever is first. */
export function closedWithin(connection: RawConnection, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    connection.closed.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}
