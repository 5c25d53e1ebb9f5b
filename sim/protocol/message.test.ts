import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../core/index.ts';
import {
  KNOWN_OPERATIONS,
  KNOWN_RESOURCE_TYPES,
  MessageFactory,
  formatResource,
  operationOf,
  parseResource,
  resourceTypeOf,
  seededIds,
  toCloudResource,
  trimCloudResource,
} from './message.ts';

describe('resource strings', () => {
  it('parses objects, lists and everything else', () => {
    expect(parseResource('default/pod/nginx')).toEqual({ kind: 'object', namespace: 'default', type: 'pod', name: 'nginx' });
    expect(parseResource('null/nodepatch/edge-1')).toEqual({ kind: 'object', namespace: 'null', type: 'nodepatch', name: 'edge-1' });
    expect(parseResource('default/configmap')).toEqual({ kind: 'list', namespace: 'default', type: 'configmap' });
    for (const raw of ['node', 'a/b/c/d', '', 'default//x', '/pod/x']) expect(parseResource(raw)).toEqual({ kind: 'other', raw });
  });

  it('format and parse are inverse for well-formed parts', () => {
    const part = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
    fc.assert(
      fc.property(part, part, fc.option(part, { nil: undefined }), (ns, type, name) => {
        const parsed = parseResource(formatResource(ns, type, name));
        expect(parsed).toEqual(name === undefined ? { kind: 'list', namespace: ns, type } : { kind: 'object', namespace: ns, type, name });
      }),
    );
  });

  it('adds and trims the cloud-side node prefix like CloudHub', () => {
    expect(toCloudResource('edge-1', 'default/pod/nginx')).toBe('node/edge-1/default/pod/nginx');
    expect(trimCloudResource('node/edge-1/default/pod/nginx')).toBe('default/pod/nginx');
    expect(trimCloudResource('node/edge-1/membership')).toBe('membership');
    // TrimMessage only checks the "node" prefix and the part count
    expect(trimCloudResource('nodeX/a/b/c')).toBe('b/c');
    expect(trimCloudResource('node')).toBe('node');
    expect(trimCloudResource('default/pod/x')).toBe('default/pod/x');
  });
});

describe('vocabulary', () => {
  it('classifies known names and keeps unknown ones distinguishable', () => {
    expect(operationOf('keepalive')).toBe('keepalive');
    expect(operationOf('KEEPALIVE')).toBe('unknown');
    expect(resourceTypeOf('k8s/ca.crt')).toBe('k8s/ca.crt');
    expect(resourceTypeOf('gadget')).toBe('unknown');
    expect(new Set(KNOWN_OPERATIONS).size).toBe(KNOWN_OPERATIONS.length);
    expect(new Set(KNOWN_RESOURCE_TYPES).size).toBe(KNOWN_RESOURCE_TYPES.length);
  });
});

describe('MessageFactory', () => {
  const clock = new ManualClock(1_700_000_000_000);
  const factory = new MessageFactory({ clock, ids: seededIds(seededRandom(7)) });

  it('draws replayable v4 UUIDs from a seed', () => {
    const a = seededIds(seededRandom(7));
    const b = seededIds(seededRandom(7));
    const ids = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(3);
  });

  it('builds the edge messages with edgecore routes', () => {
    expect(factory.keepalive().route).toEqual({ source: 'websocket', destination: '', group: 'resource', operation: 'keepalive', resource: 'node' });
    expect(factory.keepalive().header.timestamp).toBe(1_700_000_000_000);
    expect(factory.nodePatch('n1', '{}').route).toMatchObject({ source: 'edged', group: 'meta', operation: 'patch', resource: 'null/nodepatch/n1' });
    expect(factory.leaseUpdate('n1', {}).route).toMatchObject({ operation: 'update', resource: 'kube-node-lease/lease/n1' });
    expect(factory.leaseCreate('n1', {}).route.operation).toBe('insert');
    expect(factory.podPatch('ns', 'p', '{}').route.resource).toBe('ns/podpatch/p');
    expect(factory.query('ns', 'secret', 's').content).toBeNull();
    expect(factory.query('ns', 'configmap').route.resource).toBe('ns/configmap');
  });

  it('acks copy what NewRespByMessage copies and nothing more', () => {
    const received = {
      header: { msgId: 'm1', parentMsgId: '', timestamp: 1, resourceVersion: '99', sync: false, type: 'channel' },
      route: { source: 'edgecontroller', destination: 'edged', group: 'resource', operation: 'update', resource: 'default/pod/p' },
      content: { kind: 'Pod' },
    };
    const ack = factory.ack(received);
    expect(ack.header).toMatchObject({ parentMsgId: 'm1', resourceVersion: '', type: 'channel', sync: false });
    expect(ack.route).toEqual({ source: 'edgecontroller', destination: '', group: 'resource', operation: 'response', resource: 'default/pod/p' });
    expect(ack.content).toBe('OK');
    const err = factory.errorResponse(received, 'boom');
    expect(err.route).toEqual({ source: 'metamanager', destination: '', group: 'resource', operation: 'error', resource: 'default/pod/p' });
    expect(err.header.type).toBe('');
  });
});
