import Database, { type Database as SqliteDatabase } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteTwinStore, type DeviceRow, type DeviceTwinRow, type StoredDevice, type TwinStore } from '../devices/twin-store.ts';

/**
 * The edge's local state, shaped like edgecore's /var/lib/kubeedge/edgecore.db
 * (edge/pkg/metamanager/dao/models): `meta(key ≤256 = resource string, type ≤32, value JSON)` and
 * `meta_v2(key, group_version_resource, namespace, name, resource_version, value)`. Edge autonomy rests on it:
 * an edge restarted while offline rebuilds its pods from this file alone.
 *
 * One database file per simulated node, like one edgecore per box. Each connection keeps a tiny page cache
 * because thousands of them live in one process.
 */
export interface MetaRow {
  readonly key: string;
  readonly type: string;
  readonly value: string;
}

export interface MetaV2Row {
  readonly key: string;
  readonly groupVersionResource: string;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: number;
  readonly value: string;
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: SqliteDatabase) {
  return {
    upsert: db.prepare<[string, string, string]>('INSERT INTO meta (key, type, value) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET type = excluded.type, value = excluded.value'),
    get: db.prepare<[string], MetaRow>('SELECT key, type, value FROM meta WHERE key = ?'),
    del: db.prepare<[string]>('DELETE FROM meta WHERE key = ?'),
    byType: db.prepare<[string], MetaRow>('SELECT key, type, value FROM meta WHERE type = ? ORDER BY key'),
    all: db.prepare<[], MetaRow>('SELECT key, type, value FROM meta ORDER BY key'),
    upsertV2: db.prepare<[string, string, string, string, number, string]>(
      'INSERT INTO meta_v2 (key, group_version_resource, namespace, name, resource_version, value) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT(key) DO UPDATE SET group_version_resource = excluded.group_version_resource, namespace = excluded.namespace, ' +
        'name = excluded.name, resource_version = excluded.resource_version, value = excluded.value',
    ),
    delV2: db.prepare<[string]>('DELETE FROM meta_v2 WHERE key = ?'),
    getV2: db.prepare<[string], { key: string; group_version_resource: string; namespace: string; name: string; resource_version: number; value: string }>(
      'SELECT key, group_version_resource, namespace, name, resource_version, value FROM meta_v2 WHERE key = ?',
    ),
    putImage: db.prepare<[string, number, number]>('INSERT OR REPLACE INTO edgeproof_image (image, size_bytes, pulled_at) VALUES (?, ?, ?)'),
    images: db.prepare<[], { image: string; size_bytes: number; pulled_at: number }>('SELECT image, size_bytes, pulled_at FROM edgeproof_image ORDER BY image'),
  };
}

interface OpenDb {
  readonly db: SqliteDatabase;
  readonly stmts: Statements;
  /** The device tables' statements on this connection, prepared on first use (most nodes have no devices). */
  twin?: SqliteTwinStore;
}

function openDb(path: string): OpenDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // small page cache and no WAL shared-memory file; synchronous=OFF survives a process crash or restart
  // (the OS holds the pages), which is what is simulated
  db.pragma('cache_size = -64');
  db.pragma('journal_mode = TRUNCATE');
  db.pragma('synchronous = OFF');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key VARCHAR(256) PRIMARY KEY, type VARCHAR(32), value TEXT);
    CREATE TABLE IF NOT EXISTS meta_v2 (key VARCHAR(256) PRIMARY KEY, group_version_resource VARCHAR(256),
      namespace VARCHAR(256), name VARCHAR(256), resource_version INTEGER, value TEXT);
    -- not in edgecore: the container runtime's image store, which survives an edgecore restart on a real box
    CREATE TABLE IF NOT EXISTS edgeproof_image (image TEXT PRIMARY KEY, size_bytes INTEGER, pulled_at INTEGER);
  `);
  return { db, stmts: prepare(db) };
}

/**
 * Open SQLite connections are expensive (~190 KiB each: page cache, lookaside, prepared statements) and a
 * fleet has thousands of stores that are mostly idle. File-backed stores therefore share a small LRU of open
 * connections; a store's file is opened when it is touched and closed when another store needs the slot.
 * What autonomy rests on — the file — is unaffected.
 */
class ConnectionPool {
  private readonly open = new Map<EdgeStore, OpenDb>();
  constructor(public capacity: number) {}

  acquire(store: EdgeStore, path: string): OpenDb {
    const hit = this.open.get(store);
    if (hit !== undefined) {
      // move to most-recently-used
      this.open.delete(store);
      this.open.set(store, hit);
      return hit;
    }
    while (this.open.size >= this.capacity) {
      const [oldest, conn] = this.open.entries().next().value as [EdgeStore, OpenDb];
      this.open.delete(oldest);
      conn.db.close();
    }
    const conn = openDb(path);
    this.open.set(store, conn);
    return conn;
  }

  release(store: EdgeStore): void {
    const conn = this.open.get(store);
    if (conn === undefined) return;
    this.open.delete(store);
    conn.db.close();
  }

  get size(): number {
    return this.open.size;
  }
}

const pool = new ConnectionPool(64);

/** How many file-backed stores may hold an open connection at once (process-wide). */
export function setOpenStoreLimit(limit: number): void {
  pool.capacity = Math.max(1, Math.floor(limit));
}

export function openStoreConnections(): number {
  return pool.size;
}

export class EdgeStore {
  readonly path: string;
  /** In-memory stores keep their one connection: closing it would lose the data. */
  private readonly memory: OpenDb | undefined;
  private closed = false;

  private constructor(path: string) {
    this.path = path;
    this.memory = path === ':memory:' ? openDb(path) : undefined;
  }

  /** Open (or create) the store at `path`; ':memory:' for a store that dies with the process. */
  static open(path: string): EdgeStore {
    const store = new EdgeStore(path);
    store.conn(); // create the file and tables now, so errors surface at open
    return store;
  }

  private conn(): OpenDb {
    if (this.closed) throw new Error(`edge store ${this.path} is closed`);
    return this.memory ?? pool.acquire(this, this.path);
  }

  private get stmts(): Statements {
    return this.conn().stmts;
  }

  upsert(key: string, type: string, value: string): void {
    this.stmts.upsert.run(key, type, value);
  }

  get(key: string): MetaRow | undefined {
    return this.stmts.get.get(key);
  }

  delete(key: string): void {
    this.stmts.del.run(key);
  }

  listByType(type: string): readonly MetaRow[] {
    return this.stmts.byType.all(type);
  }

  all(): readonly MetaRow[] {
    return this.stmts.all.all();
  }

  upsertV2(row: MetaV2Row): void {
    this.stmts.upsertV2.run(row.key, row.groupVersionResource, row.namespace, row.name, row.resourceVersion, row.value);
  }

  getV2(key: string): MetaV2Row | undefined {
    const r = this.stmts.getV2.get(key);
    return r === undefined
      ? undefined
      : { key: r.key, groupVersionResource: r.group_version_resource, namespace: r.namespace, name: r.name, resourceVersion: r.resource_version, value: r.value };
  }

  deleteV2(key: string): void {
    this.stmts.delV2.run(key);
  }

  /** Apply several writes atomically (one message may touch meta and meta_v2). */
  transaction(fn: () => void): void {
    this.conn().db.transaction(fn)();
  }

  recordImage(image: string, sizeBytes: number, pulledAtMs: number): void {
    this.stmts.putImage.run(image, sizeBytes, pulledAtMs);
  }

  images(): ReadonlyMap<string, number> {
    return new Map(this.stmts.images.all().map((r) => [r.image, r.size_bytes]));
  }

  /**
   * The device twin's tables (device, device_attr, device_twin) in this same file, as edgecore keeps them in
   * edgecore.db. Every call goes through the connection pool, so the twin survives its connection being
   * closed for another store.
   */
  twinStore(): TwinStore {
    const twin = (): SqliteTwinStore => {
      const conn = this.conn();
      conn.twin ??= new SqliteTwinStore(conn.db);
      return conn.twin;
    };
    return {
      listDevices: (): StoredDevice[] => twin().listDevices(),
      getDevice: (id: string): StoredDevice | undefined => twin().getDevice(id),
      putDevice: (device: DeviceRow): void => twin().putDevice(device),
      putTwins: (deviceId: string, twins: readonly DeviceTwinRow[]): void => twin().putTwins(deviceId, twins),
      deleteDevice: (id: string): void => twin().deleteDevice(id),
      batch: (fn: () => void): void => twin().batch(fn),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.memory !== undefined) this.memory.db.close();
    else pool.release(this);
  }
}
