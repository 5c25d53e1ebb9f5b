/**
 * Where the device twin persists, shaped like edgecore's device tables (edge/pkg/metamanager/dao/models/
 * device.go, table names in constants.go):
 *   device(id varchar(64) PK, name, description, state, last_online)
 *   device_attr(id autoincrement, deviceid, name, description, value, optional, attr_type, metadata)
 *   device_twin(id autoincrement, deviceid, name, description, expected, actual, expected_meta, actual_meta,
 *               expected_version, actual_version, optional, attr_type, metadata)
 * with the *_meta and *_version columns holding JSON text exactly as edgecore writes them
 * ({"timestamp":…} and {"cloud":n,"edge":n}). On start the twin reloads everything from here (SyncSqlite), so
 * an edge restarted offline still knows its devices and their last values.
 */
import type { Database, Statement } from 'better-sqlite3';

export interface DeviceRow {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly state: string;
  readonly lastOnline: string;
}

export interface DeviceTwinRow {
  readonly deviceId: string;
  readonly name: string;
  readonly description: string;
  readonly expected: string;
  readonly actual: string;
  readonly expectedMeta: string;
  readonly actualMeta: string;
  readonly expectedVersion: string;
  readonly actualVersion: string;
  readonly optional: boolean;
  readonly attrType: string;
  readonly metadata: string;
}

export interface StoredDevice {
  readonly device: DeviceRow;
  readonly twins: readonly DeviceTwinRow[];
}

/** What the twin needs from a store. Writes are synchronous, like edgecore's DB calls on its worker. */
export interface TwinStore {
  listDevices(): StoredDevice[];
  getDevice(id: string): StoredDevice | undefined;
  /** Insert or replace the device row; its twins are untouched. */
  putDevice(device: DeviceRow): void;
  /** Insert or update twin rows by (deviceId, name). */
  putTwins(deviceId: string, twins: readonly DeviceTwinRow[]): void;
  /** Remove the device with its attributes and twins (DeleteDeviceTrans). */
  deleteDevice(id: string): void;
  /** Run several writes as one transaction, where the store has transactions. */
  batch?(fn: () => void): void;
}

export class MemoryTwinStore implements TwinStore {
  private readonly devices = new Map<string, { device: DeviceRow; twins: Map<string, DeviceTwinRow> }>();
  /** Writes so far (tests: did the twin persist?). */
  writes = 0;

  listDevices(): StoredDevice[] {
    return [...this.devices.keys()].sort().flatMap((id) => {
      const d = this.getDevice(id);
      return d === undefined ? [] : [d];
    });
  }

  getDevice(id: string): StoredDevice | undefined {
    const d = this.devices.get(id);
    return d === undefined ? undefined : { device: d.device, twins: [...d.twins.values()] };
  }

  putDevice(device: DeviceRow): void {
    this.writes++;
    const d = this.devices.get(device.id);
    if (d === undefined) this.devices.set(device.id, { device, twins: new Map() });
    else d.device = device;
  }

  putTwins(deviceId: string, twins: readonly DeviceTwinRow[]): void {
    const d = this.devices.get(deviceId);
    if (d === undefined) return;
    this.writes++;
    for (const t of twins) d.twins.set(t.name, t);
  }

  deleteDevice(id: string): void {
    this.writes++;
    this.devices.delete(id);
  }
}

interface TwinSqlRow {
  deviceid: string;
  name: string;
  description: string | null;
  expected: string | null;
  actual: string | null;
  expected_meta: string | null;
  actual_meta: string | null;
  expected_version: string | null;
  actual_version: string | null;
  optional: number | null;
  attr_type: string | null;
  metadata: string | null;
}

interface DeviceSqlRow {
  id: string;
  name: string | null;
  description: string | null;
  state: string | null;
  last_online: string | null;
}

/**
 * The edgecore tables in a better-sqlite3 database — pass the edge node's own database (the same file that
 * holds `meta`), so device state survives a restart with everything else.
 */
export class SqliteTwinStore implements TwinStore {
  private readonly stmts: {
    devices: Statement<[], DeviceSqlRow>;
    device: Statement<[string], DeviceSqlRow>;
    twins: Statement<[string], TwinSqlRow>;
    upsertDevice: Statement<[string, string, string, string, string]>;
    updateTwin: Statement<[string, string, string, string, string, string, string, number, string, string, string, string]>;
    insertTwin: Statement<[string, string, string, string, string, string, string, string, string, number, string, string]>;
    deleteDevice: Statement<[string]>;
    deleteAttrs: Statement<[string]>;
    deleteTwins: Statement<[string]>;
  };

  /** edgecore's device tables, created when missing (idempotent). */
  static createTables(db: Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS device (id VARCHAR(64) PRIMARY KEY, name TEXT, description TEXT, state TEXT, last_online TEXT);
      CREATE TABLE IF NOT EXISTS device_attr (id INTEGER PRIMARY KEY AUTOINCREMENT, deviceid TEXT, name TEXT, description TEXT,
        value TEXT, optional NUMERIC, attr_type TEXT, metadata TEXT);
      CREATE TABLE IF NOT EXISTS device_twin (id INTEGER PRIMARY KEY AUTOINCREMENT, deviceid TEXT, name TEXT, description TEXT,
        expected TEXT, actual TEXT, expected_meta TEXT, actual_meta TEXT, expected_version TEXT, actual_version TEXT,
        optional NUMERIC, attr_type TEXT, metadata TEXT);
      -- not in edgecore (its tables have no index): lookups by device and twin name stay cheap
      CREATE INDEX IF NOT EXISTS edgeproof_device_twin_key ON device_twin (deviceid, name);
    `);
  }

  constructor(private readonly db: Database) {
    SqliteTwinStore.createTables(db);
    const twinCols = 'deviceid, name, description, expected, actual, expected_meta, actual_meta, expected_version, actual_version, optional, attr_type, metadata';
    this.stmts = {
      devices: db.prepare('SELECT id, name, description, state, last_online FROM device ORDER BY id'),
      device: db.prepare('SELECT id, name, description, state, last_online FROM device WHERE id = ?'),
      twins: db.prepare(`SELECT ${twinCols} FROM device_twin WHERE deviceid = ? ORDER BY id`),
      upsertDevice: db.prepare(
        'INSERT INTO device (id, name, description, state, last_online) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, state = excluded.state, last_online = excluded.last_online',
      ),
      updateTwin: db.prepare(
        'UPDATE device_twin SET description = ?, expected = ?, actual = ?, expected_meta = ?, actual_meta = ?, expected_version = ?, actual_version = ?, ' +
          'optional = ?, attr_type = ?, metadata = ? WHERE deviceid = ? AND name = ?',
      ),
      insertTwin: db.prepare(`INSERT INTO device_twin (${twinCols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteDevice: db.prepare('DELETE FROM device WHERE id = ?'),
      deleteAttrs: db.prepare('DELETE FROM device_attr WHERE deviceid = ?'),
      deleteTwins: db.prepare('DELETE FROM device_twin WHERE deviceid = ?'),
    };
  }

  listDevices(): StoredDevice[] {
    return this.stmts.devices.all().map((d) => ({ device: deviceRow(d), twins: this.twinsOf(d.id) }));
  }

  getDevice(id: string): StoredDevice | undefined {
    const d = this.stmts.device.get(id);
    return d === undefined ? undefined : { device: deviceRow(d), twins: this.twinsOf(id) };
  }

  putDevice(device: DeviceRow): void {
    this.stmts.upsertDevice.run(device.id, device.name, device.description, device.state, device.lastOnline);
  }

  putTwins(deviceId: string, twins: readonly DeviceTwinRow[]): void {
    this.db.transaction(() => {
      for (const t of twins) {
        const changed = this.stmts.updateTwin.run(t.description, t.expected, t.actual, t.expectedMeta, t.actualMeta, t.expectedVersion, t.actualVersion, t.optional ? 1 : 0, t.attrType, t.metadata, deviceId, t.name).changes;
        if (changed === 0) this.stmts.insertTwin.run(deviceId, t.name, t.description, t.expected, t.actual, t.expectedMeta, t.actualMeta, t.expectedVersion, t.actualVersion, t.optional ? 1 : 0, t.attrType, t.metadata);
      }
    })();
  }

  batch(fn: () => void): void {
    this.db.transaction(fn)();
  }

  deleteDevice(id: string): void {
    this.db.transaction(() => {
      this.stmts.deleteDevice.run(id);
      this.stmts.deleteAttrs.run(id);
      this.stmts.deleteTwins.run(id);
    })();
  }

  private twinsOf(id: string): DeviceTwinRow[] {
    return this.stmts.twins.all(id).map((r) => ({
      deviceId: r.deviceid,
      name: r.name,
      description: r.description ?? '',
      expected: r.expected ?? '',
      actual: r.actual ?? '',
      expectedMeta: r.expected_meta ?? '',
      actualMeta: r.actual_meta ?? '',
      expectedVersion: r.expected_version ?? '',
      actualVersion: r.actual_version ?? '',
      optional: r.optional === 1,
      attrType: r.attr_type ?? '',
      metadata: r.metadata ?? '',
    }));
  }
}

function deviceRow(d: DeviceSqlRow): DeviceRow {
  return { id: d.id, name: d.name ?? '', description: d.description ?? '', state: d.state ?? '', lastOnline: d.last_online ?? '' };
}
