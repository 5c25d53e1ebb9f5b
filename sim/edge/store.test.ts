import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as storeModule from './store.ts';
import { EdgeStore } from './store.ts';

describe('edge store (SQLite, shaped like edgecore.db)', () => {
  it('keeps meta rows across a close and reopen of the same file — and a fresh file has none', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'edgeproof-store-')), 'edgecore.db');
    const a = EdgeStore.open(path);
    a.upsert('default/pod/nginx', 'pod', '{"metadata":{"resourceVersion":"5"}}');
    a.upsert('default/pod/nginx', 'pod', '{"metadata":{"resourceVersion":"7"}}');
    a.upsert('default/configmap/cfg', 'configmap', '{}');
    a.recordImage('nginx:1.27', 1234, 1);
    a.close();
    const b = EdgeStore.open(path);
    expect(b.get('default/pod/nginx')?.value).toContain('"7"');
    expect(b.listByType('pod').map((r) => r.key)).toEqual(['default/pod/nginx']);
    expect(b.images().get('nginx:1.27')).toBe(1234);
    b.delete('default/pod/nginx');
    expect(b.get('default/pod/nginx')).toBeUndefined();
    b.close();
    const fresh = EdgeStore.open(join(mkdtempSync(join(tmpdir(), 'edgeproof-store-')), 'edgecore.db'));
    expect(fresh.all()).toEqual([]);
    fresh.close();
  });

  it('has the tables and columns edgecore uses', () => {
    const s = EdgeStore.open(':memory:');
    s.upsertV2({ key: '/core/v1/pods/default/nginx', groupVersionResource: '/v1, Resource=pods', namespace: 'default', name: 'nginx', resourceVersion: 9, value: '{}' });
    expect(s.getV2('/core/v1/pods/default/nginx')?.resourceVersion).toBe(9);
    s.close();
  });
});

describe('edge store connection pool', () => {
  it('more stores than open connections: each keeps its own data through eviction and reopening', () => {
    const { setOpenStoreLimit, openStoreConnections } = storeModule;
    setOpenStoreLimit(2);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'edgeproof-pool-'));
      const stores = Array.from({ length: 5 }, (_, i) => EdgeStore.open(join(dir, `n${i}`, 'edgecore.db')));
      stores.forEach((s, i) => s.upsert('default/configmap/c', 'configmap', `{"n":${i}}`));
      expect(openStoreConnections()).toBeLessThanOrEqual(2);
      stores.forEach((s, i) => expect(s.get('default/configmap/c')?.value).toBe(`{"n":${i}}`));
      expect(openStoreConnections()).toBeLessThanOrEqual(2);
      for (const s of stores) s.close();
    } finally {
      storeModule.setOpenStoreLimit(64);
    }
  });
});
