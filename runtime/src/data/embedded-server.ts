/**
 * `startEmbeddedPostgres`: one process (the `msx up` supervisor) hosts the
 * embedded engine and serves it on the PostgreSQL wire protocol, so every
 * instance of a scaled service connects to the same database with `pg`.
 *
 * Why not `@electric-sql/pglite-socket`'s server as is: it queues single
 * protocol messages, so two connections' extended-query sequences
 * (Parse/Bind/Execute/Sync) interleave on the one backend — measured here
 * with three pools: wrong rows returned, "unnamed prepared statement does
 * not exist", lost updates. This server hands the backend to one
 * connection per batch (everything up to a Sync or a simple Query) and
 * keeps it with that connection while it is inside a transaction. So
 * connections are served one at a time: correct, but serialised — and a
 * transaction left open blocks everyone (bounded by
 * `idleInTransactionTimeoutMs`).
 *
 * Limits of one shared backend session: session-level advisory locks,
 * `SET`, `LISTEN`, temp tables and named prepared statements are shared by
 * all connections. The runtime's own locking uses transaction-scoped locks
 * and leases, which stay correct here.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { EngineLock } from './engine-lock.js';
import { openEmbeddedEngine } from './embedded-engine.js';
import { DatabaseError } from './errors/database-error.js';
import { EMBEDDED_URL_PARAM } from './database-url.js';

export interface EmbeddedPostgresOptions {
  /** Where the engine keeps its files; created if missing. Omit for an in-memory engine (tests). */
  readonly dataDir?: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. Default 0 unless `socketDir` is given. */
  readonly port?: number;
  /** Serve on a Unix socket `<socketDir>/.s.PGSQL.5432` (the layout `pg` expects) instead of TCP. */
  readonly socketDir?: string;
  /** A connection idle inside a transaction this long is rolled back and closed, freeing the engine. Default 60000. */
  readonly idleInTransactionTimeoutMs?: number;
  /** Default: silent. */
  readonly logger?: { warn(obj: object, msg: string): void };
}

export interface EmbeddedPostgres {
  /** `postgres://…` URL to give services as `DATABASE_URL`; `createDatabase` recognises it as the embedded engine. */
  readonly url: string;
  /** Open client connections (for `msx ps` / diagnostics). */
  readonly connections: () => number;
  /** Closes every connection (rolling back open transactions) and the engine. Idempotent. */
  close(): Promise<void>;
}

/** An embedded engine being served while it may still be opening. */
export interface ServedEmbeddedPostgres extends EmbeddedPostgres {
  /**
   * Resolves once the engine is open; rejects (a DatabaseError) when it
   * cannot be, after which every connection is closed. Connections made
   * before that wait, their first bytes unread.
   */
  readonly opened: Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]);
const ROLLBACK_MESSAGE = simpleQuery('ROLLBACK');
/** Messages after which the client waits for an answer: Sync, simple Query, Flush. */
const BATCH_END = new Set([0x53, 0x51, 0x48]);
const TERMINATE = 0x58;
const FLUSH = 0x48;

/** Opens the engine, then serves it: resolves once both are done. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const served = await serveEmbeddedPostgres(options);
  try {
    await served.opened;
  } catch (error) {
    await served.close();
    throw error;
  }
  return { url: served.url, connections: served.connections, close: served.close };
}

/**
 * Listens first and opens the engine meanwhile: resolves as soon as the
 * URL accepts connections, with `opened` for the engine. Opening an engine
 * is the slow part of a start (CPU-bound WebAssembly on this process's one
 * thread), so a supervisor hands the URL to the services at once and their
 * own start-up (loading their code) runs beside it on the other cores.
 */
export async function serveEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<ServedEmbeddedPostgres> {
  const idleTimeoutMs = options.idleInTransactionTimeoutMs ?? 60_000;
  if (!(Number.isInteger(idleTimeoutMs) && idleTimeoutMs > 0)) {
    throw new DatabaseError('DATABASE_CONFIG_INVALID', `Expected the \`idleInTransactionTimeoutMs\` option to be a positive integer, got ${String(idleTimeoutMs)}`);
  }
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)) {
    throw new DatabaseError('DATABASE_CONFIG_INVALID', `Expected the \`port\` option to be a TCP port number, got ${String(options.port)}`);
  }
  const lock = new EngineLock<Connection>();
  const connections = new Set<Connection>();
  const waiting = new Set<Socket>();
  let engine: PGlite | undefined;
  let closed = false;
  const server = createServer((socket) => {
    if (engine !== undefined) return accept(socket, engine);
    // The engine is still opening: hold the connection, unread, until it is.
    socket.pause();
    socket.on('error', () => {});
    waiting.add(socket);
    socket.once('close', () => waiting.delete(socket));
  });
  const accept = (socket: Socket, open: PGlite) => {
    const connection = new Connection(socket, open, lock, idleTimeoutMs, options.logger);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
    socket.resume();
  };

  let url: string;
  try {
    if (options.socketDir !== undefined) {
      await mkdir(options.socketDir, { recursive: true });
      const path = join(options.socketDir, '.s.PGSQL.5432');
      await rm(path, { force: true });
      await listen(server, { path });
      url = `postgres://postgres@localhost/postgres?host=${encodeURIComponent(options.socketDir)}&${EMBEDDED_URL_PARAM}=1`;
    } else {
      await listen(server, { host: '127.0.0.1', port: options.port ?? 0 });
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      url = `postgres://postgres@127.0.0.1:${port}/postgres?${EMBEDDED_URL_PARAM}=1`;
    }
  } catch (cause) {
    throw new DatabaseError('DATABASE_UNAVAILABLE', `Cannot serve the embedded engine: ${(cause as Error).message}`, { cause });
  }

  const opening = openEmbeddedEngine(options.dataDir);
  const opened = opening.then(
    (open) => {
      if (closed) return;
      engine = open;
      for (const socket of waiting) if (!socket.destroyed) accept(socket, open);
      waiting.clear();
    },
    (error: unknown) => {
      // Nothing will serve these connections: close them, and stop listening.
      for (const socket of waiting) socket.destroy();
      waiting.clear();
      server.close();
      throw error;
    },
  );
  opened.catch(() => {}); // the caller's to handle; never an unhandled rejection here

  let closing: Promise<void> | undefined;
  return {
    url,
    opened,
    connections: () => connections.size,
    close() {
      closing ??= (async () => {
        closed = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of waiting) socket.destroy();
        await Promise.all([...connections].map((connection) => connection.destroy()));
        await stopped;
        // An engine still opening is closed once open; one that failed has nothing to close.
        const open = await opening.catch(() => undefined);
        await open?.close();
      })();
      return closing;
    },
  };
}

function listen(server: Server, address: { host: string; port: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** One client connection: frames its messages into batches and runs them on the engine in order. */
class Connection {
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;
  #batch: Uint8Array[] = [];
  #chain: Promise<void> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #finished: Promise<void> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly engine: PGlite,
    private readonly lock: EngineLock<Connection>,
    private readonly idleTimeoutMs: number,
    private readonly logger: EmbeddedPostgresOptions['logger'],
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.once('close', () => { void this.#finish(); });
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.#finish();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (!this.#closed) {
      if (!this.#started) {
        if (this.#buffer.length < 8) return;
        const length = this.#buffer.readInt32BE(0);
        const code = this.#buffer.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.#buffer = this.#buffer.subarray(8);
          this.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST || code !== PROTOCOL_3) {
          this.socket.destroy();
          return;
        }
        if (this.#buffer.length < length) return;
        this.#started = true;
        this.#schedule([copy(this.#buffer.subarray(0, length))], false);
        this.#buffer = this.#buffer.subarray(length);
        continue;
      }
      if (this.#buffer.length < 5) return;
      const type = this.#buffer[0]!;
      const total = 1 + this.#buffer.readInt32BE(1);
      if (this.#buffer.length < total) return;
      const message = copy(this.#buffer.subarray(0, total));
      this.#buffer = this.#buffer.subarray(total);
      if (type === TERMINATE) {
        this.socket.end();
        return;
      }
      this.#batch.push(message);
      if (BATCH_END.has(type)) {
        this.#schedule(this.#batch, type === FLUSH);
        this.#batch = [];
      }
    }
  }

  /** Runs `messages` after the connection's earlier batches, holding the engine meanwhile. */
  #schedule(messages: Uint8Array[], midSequence: boolean): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#closed) return;
      clearTimeout(this.#idleTimer);
      try {
        await this.lock.acquire(this);
      } catch {
        return; // connection closed while waiting
      }
      try {
        await this.engine.runExclusive(async () => {
          for (const [i, message] of messages.entries()) {
            await this.engine.execProtocolRawStream(message, {
              syncToFs: i === messages.length - 1,
              onRawData: (data) => { if (!this.#closed) this.socket.write(data); },
            });
          }
        });
      } catch (error) {
        this.logger?.warn({ err: error }, 'embedded engine failed a request; closing the connection');
        this.socket.destroy();
        return;
      }
      if (midSequence || this.engine.isInTransaction()) {
        this.#idleTimer = setTimeout(() => {
          this.logger?.warn({ idleInTransactionTimeoutMs: this.idleTimeoutMs }, 'embedded engine: connection idle in transaction; rolling back and closing it');
          this.socket.destroy();
        }, this.idleTimeoutMs);
      } else {
        this.lock.release(this);
      }
    });
  }

  /** Rolls back what the connection left open and frees the engine for the others. */
  #finish(): Promise<void> {
    this.#finished ??= (async () => {
      this.#closed = true;
      clearTimeout(this.#idleTimer);
      this.lock.abandon(this, new Error('connection closed'));
      await this.#chain;
      if (this.lock.owner === this) {
        try {
          await this.engine.runExclusive(async () => {
            // Raw protocol, not `engine.exec`: that takes the mutex we hold and would wait forever.
            await this.engine.execProtocolRaw(SYNC_MESSAGE);
            if (this.engine.isInTransaction()) await this.engine.execProtocolRaw(ROLLBACK_MESSAGE);
          });
        } catch (error) {
          this.logger?.warn({ err: error }, 'embedded engine: rolling back a closed connection failed');
        }
        this.lock.release(this);
      }
    })();
    return this.#finished;
  }
}

/** A simple-protocol Query message: 'Q', int32 length, the SQL, NUL. */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0, 'ascii');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return new Uint8Array(message);
}

function copy(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes);
}
