import Database, { type Database as SqliteDatabase, type Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

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

export class EdgeStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly stmts: {
    upsert: Statement<[string, string, string]>;
    get: Statement<[string], MetaRow>;
    del: Statement<[string]>;
    byType: Statement<[string], MetaRow>;
    all: Statement<[], MetaRow>;
    upsertV2: Statement<[string, string, string, string, number, string]>;
    delV2: Statement<[string]>;
    getV2: Statement<[string], { key: string; group_version_resource: string; namespace: string; name: string; resource_version: number; value: string }>;
    putImage: Statement<[string, number, number]>;
    images: Statement<[], { image: string; size_bytes: number; pulled_at: number }>;
  };

  private constructor(path: string, db: SqliteDatabase) {
    this.path = path;
    this.db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key VARCHAR(256) PRIMARY KEY, type VARCHAR(32), value TEXT);
      CREATE TABLE IF NOT EXISTS meta_v2 (key VARCHAR(256) PRIMARY KEY, group_version_resource VARCHAR(256),
        namespace VARCHAR(256), name VARCHAR(256), resource_version INTEGER, value TEXT);
      -- not in edgecore: the container runtime's image store, which survives an edgecore restart on a real box
      CREATE TABLE IF NOT EXISTS edgeproof_image (image TEXT PRIMARY KEY, size_bytes INTEGER, pulled_at INTEGER);
    `);
    this.stmts = {
      upsert: db.prepare('INSERT INTO meta (key, type, value) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET type = excluded.type, value = excluded.value'),
      get: db.prepare('SELECT key, type, value FROM meta WHERE key = ?'),
      del: db.prepare('DELETE FROM meta WHERE key = ?'),
      byType: db.prepare('SELECT key, type, value FROM meta WHERE type = ? ORDER BY key'),
      all: db.prepare('SELECT key, type, value FROM meta ORDER BY key'),
      upsertV2: db.prepare(
        'INSERT INTO meta_v2 (key, group_version_resource, namespace, name, resource_version, value) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(key) DO UPDATE SET group_version_resource = excluded.group_version_resource, namespace = excluded.namespace, ' +
          'name = excluded.name, resource_version = excluded.resource_version, value = excluded.value',
      ),
      delV2: db.prepare('DELETE FROM meta_v2 WHERE key = ?'),
      getV2: db.prepare('SELECT key, group_version_resource, namespace, name, resource_version, value FROM meta_v2 WHERE key = ?'),
      putImage: db.prepare('INSERT OR REPLACE INTO edgeproof_image (image, size_bytes, pulled_at) VALUES (?, ?, ?)'),
      images: db.prepare('SELECT image, size_bytes, pulled_at FROM edgeproof_image ORDER BY image'),
    };
  }

  /** Open (or create) the store at `path`; ':memory:' for a store that dies with the process. */
  static open(path: string): EdgeStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    // small page cache (64 KiB) and no WAL shared-memory file: thousands of stores share one process.
    // synchronous=OFF survives a process crash or restart (the OS holds the pages), which is what is simulated.
    db.pragma('cache_size = -64');
    db.pragma('journal_mode = TRUNCATE');
    db.pragma('synchronous = OFF');
    return new EdgeStore(path, db);
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
    this.db.transaction(fn)();
  }

  recordImage(image: string, sizeBytes: number, pulledAtMs: number): void {
    this.stmts.putImage.run(image, sizeBytes, pulledAtMs);
  }

  images(): ReadonlyMap<string, number> {
    return new Map(this.stmts.images.all().map((r) => [r.image, r.size_bytes]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
