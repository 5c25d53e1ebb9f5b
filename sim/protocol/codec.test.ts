import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeproofError, ManualClock } from '../core/index.ts';
import { mutatedFrame, oddFrame, wireMessage } from './arbitraries.ts';
import { MAX_NESTING_DEPTH, compareCodePoints, decodeMessage, encodeJson, encodeMessage, quote, tryDecodeMessage } from './codec.ts';
import { GoReencoder, goConstructed, goReencode, type GoReencode } from './govectors.ts';
import { MessageFactory, makeMessage, type JsonObject, type JsonValue, type Message } from './message.ts';

let go: GoReencoder;
let constructed: Map<string, Buffer>;

beforeAll(async () => {
  go = await GoReencoder.start();
  constructed = await goConstructed();
}, 300_000);

afterAll(() => go.close());

function goFrame(name: string): Buffer {
  const f = constructed.get(name);
  if (f === undefined) throw new Error(`govectors did not construct ${name}`);
  return f;
}

function show(b: Buffer | string): string {
  return JSON.stringify(Buffer.from(b).toString('utf8'));
}

/** The check every vector comparison uses: Go must accept our bytes and write back exactly `expected`. */
function expectGoEcho(result: GoReencode, expected: string): void {
  if (!result.ok) throw new Error(`Go rejected our frame: ${result.error}`);
  if (!result.frame.equals(Buffer.from(expected, 'utf8'))) {
    throw new Error(`Go wrote\n  ${show(result.frame)}\nwe wrote\n  ${show(expected)}`);
  }
}

/** The mistake a JS implementation makes by default; used to prove the comparison can fail. */
function naiveEncode(m: Message): string {
  const h = m.header;
  const header: Record<string, unknown> = { msg_id: h.msgId };
  if (h.parentMsgId !== '') header['parent_msg_id'] = h.parentMsgId;
  header['timestamp'] = h.timestamp;
  if (h.resourceVersion !== '') header['resourceversion'] = h.resourceVersion;
  if (h.sync) header['sync'] = true;
  if (h.type !== '') header['type'] = h.type;
  const route = Object.fromEntries(Object.entries(m.route).filter(([, v]) => v !== ''));
  return JSON.stringify({ header, route, content: m.content }) + '\n';
}

describe('TS encode == Go encode, byte for byte', () => {
  it('Go re-encodes every generated message to exactly our sorted-key encoding', async () => {
    await fc.assert(
      fc.asyncProperty(wireMessage, async (m) => {
        const sorted = encodeMessage(m, { keyOrder: 'sorted' });
        expectGoEcho(await go.reencode(encodeMessage(m)), sorted);
        expectGoEcho(await go.reencode(sorted), sorted);
        // and our decoder reads Go's bytes back to the same encoding
        expect(encodeMessage(decodeMessage(sorted), { keyOrder: 'sorted' })).toBe(sorted);
      }),
      { numRuns: 400 },
    );
  });

  it('catches a wrong encoding: a JSON.stringify encoder fails the same comparison, with a replayable seed', async () => {
    const html = makeMessage({ msgId: 'm', timestamp: 1 }, { source: 's' }, { a: '<b>&', z: -0 });
    const goBytes = await go.reencode(encodeMessage(html));
    expect(() => expectGoEcho(goBytes, naiveEncode(html))).toThrow(/Go wrote/);

    const details = await fc.check(
      fc.asyncProperty(wireMessage, async (m) => expectGoEcho(await go.reencode(encodeMessage(m)), naiveEncode(m))),
      { seed: 1234, numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    expect(fc.defaultReportMessage(details)).toMatch(/seed: 1234, path: "[\d:]+"/);
  });

  it('writes Go-specific forms: HTML escapes, U+2028/9, -0, exponents, empty route, null content', async () => {
    const m = makeMessage(
      { msgId: 'id', timestamp: 1700000000000, sync: true },
      {},
      ['<>&\u2028\u2029\u0001\u007f\b\f', -0, 1e21, 1e-7, 0.1, '\ud800x'],
    );
    const expected = '{"header":{"msg_id":"id","timestamp":1700000000000,"sync":true},"route":{},"content":["\\u003c\\u003e\\u0026\\u2028\\u2029\\u0001\u007f\\b\\f",-0,1e+21,1e-7,0.1,"\ufffdx"]}\n';
    expect(encodeMessage(m)).toBe(expected);
    expectGoEcho(await go.reencode(expected), expected);
    expectGoEcho(await go.reencode(encodeMessage(makeMessage({ msgId: '', timestamp: 0 }, {}, null))), '{"header":{"msg_id":"","timestamp":0},"route":{},"content":null}\n');
  });

  it('sorts keys by code point like Go, not by UTF-16 unit like Array.prototype.sort', async () => {
    const content: JsonObject = { '\uffff': 1, '😀': 2, '\ue000': 3, b: 4, '10': 5, '9': 6, A: 7 };
    const sorted = encodeMessage(makeMessage({ msgId: 'k', timestamp: 1 }, {}, content), { keyOrder: 'sorted' });
    expect(sorted).toContain('{"10":5,"9":6,"A":7,"b":4,"\ue000":3,"\uffff":1,"😀":2}');
    expectGoEcho(await go.reencode(sorted), sorted);
    expect(compareCodePoints('😀', '\uffff')).toBeGreaterThan(0);
    expect('😀' < '\uffff').toBe(true); // the trap compareCodePoints avoids
  });

  it('handles content at Go’s nesting limit exactly as Go does', async () => {
    const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
    // the message object is level 1, so content may add MAX_NESTING_DEPTH - 1 levels
    const atLimit = `{"header":{"msg_id":"d","timestamp":1},"route":{},"content":${nested(MAX_NESTING_DEPTH - 1)}}\n`;
    const overLimit = `{"header":{"msg_id":"d","timestamp":1},"route":{},"content":${nested(MAX_NESTING_DEPTH)}}\n`;
    const [goAt, goOver] = await goReencode([atLimit, overLimit]);
    expectGoEcho(goAt as GoReencode, atLimit);
    expect(encodeMessage(decodeMessage(atLimit))).toBe(atLimit);
    expect(goOver?.ok).toBe(false);
    expect(() => decodeMessage(overLimit)).toThrow(/nests deeper than 10000/);
  });
});

describe('TS decodes what Go constructs', () => {
  it('round-trips every beehive-constructed message to the same bytes', () => {
    expect(constructed.size).toBeGreaterThanOrEqual(12);
    for (const [name, frame] of constructed) {
      if (name === 'invalid-utf8') continue;
      const text = encodeMessage(decodeMessage(frame));
      expect(text, name).toBe(frame.toString('utf8'));
    }
  });

  it('reads Go strings made of invalid UTF-8 as U+FFFD per byte, as Go itself re-reads them', async () => {
    const frame = goFrame('invalid-utf8');
    const m = decodeMessage(frame);
    expect(m.content).toBe('bad\ufffd\ufffd\ufffd\ufffd\ufffd ok');
    expectGoEcho(await go.reencode(frame), encodeMessage(m));
  });

  it('keeps Go typed-struct key order with keyOrder insertion and Go map order with sorted', () => {
    const m = decodeMessage(goFrame('pod-insert'));
    expect(Object.keys(m.content as JsonObject)).toEqual(['kind', 'apiVersion', 'metadata', 'spec']);
    expect(encodeMessage(m)).toBe(goFrame('pod-insert').toString('utf8'));
    expect(encodeMessage(m, { keyOrder: 'sorted' })).toContain('"content":{"apiVersion":"v1","kind":"Pod"');
  });

  it('decodes the []byte content Go writes as base64 into the string the wire carries', () => {
    expect(decodeMessage(goFrame('bytes-content')).content).toBe(Buffer.from('raw\x00bytes\xff', 'latin1').toString('base64'));
  });
});

describe('edge constructors produce the bytes edgecore produces', () => {
  function factoryLike(frame: Buffer): { factory: MessageFactory; decoded: Message } {
    const decoded = decodeMessage(frame);
    const factory = new MessageFactory({ clock: new ManualClock(decoded.header.timestamp), ids: () => decoded.header.msgId });
    return { factory, decoded };
  }
  const same = (name: string, build: (f: MessageFactory) => Message): void => {
    const { factory } = factoryLike(goFrame(name));
    expect(encodeMessage(build(factory)), name).toBe(goFrame(name).toString('utf8'));
  };

  it('keepalive, ACK, error response, node patch, pod patch, query and lease', () => {
    const podInsert = decodeMessage(goFrame('pod-insert'));
    same('keepalive', (f) => f.keepalive());
    same('ack', (f) => f.ack(podInsert));
    same('error', (f) => f.errorResponse(podInsert, 'failed to process remote: not connected'));
    same('nodepatch', (f) => f.nodePatch('edge-1', '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}'));
    same('podpatch', (f) => f.podPatch('default', 'nginx', '{"status":{"phase":"Running"}}'));
    same('query', (f) => f.query('default', 'configmap', 'cfg'));
    same('lease', (f) =>
      f.leaseUpdate('edge-1', {
        kind: 'Lease',
        apiVersion: 'coordination.k8s.io/v1',
        metadata: { name: 'edge-1', namespace: 'kube-node-lease' },
        spec: { holderIdentity: 'edge-1', leaseDurationSeconds: 40, renewTime: '2026-01-02T03:04:05.123456Z' },
      }),
    );
  });

  it('an ACK answers the message it acknowledges', () => {
    const podInsert = decodeMessage(goFrame('pod-insert'));
    const ack = decodeMessage(goFrame('ack'));
    expect(ack.header.parentMsgId).toBe(podInsert.header.msgId);
    expect(ack.header.resourceVersion).toBe('');
    expect(ack.route).toEqual({ ...podInsert.route, operation: 'response' });
    expect(ack.content).toBe('OK');
  });

  it('would notice a constructor drifting from edgecore', () => {
    const { factory } = factoryLike(goFrame('keepalive'));
    const drifted = { ...factory.keepalive(), route: { ...factory.keepalive().route, source: 'edgehub' } };
    expect(encodeMessage(drifted)).not.toBe(goFrame('keepalive').toString('utf8'));
  });
});

describe('decode accepts exactly what Go accepts', () => {
  const agrees = async (frame: Buffer | string): Promise<void> => {
    const goResult = await go.reencode(frame);
    const ours = tryDecodeMessage(frame);
    if (!goResult.ok) {
      if (ours.ok) throw new Error(`Go rejects (${goResult.error}) but we accept ${show(frame)}`);
      expect(ours.error.code).toBe('E_BAD_MESSAGE');
      return;
    }
    if (!ours.ok) {
      if (ours.error.context['stricterThanGo'] === undefined) {
        throw new Error(`Go accepts but we reject ${show(frame)}: ${ours.error.message}`);
      }
      return;
    }
    expectGoEcho(goResult, encodeMessage(ours.message, { keyOrder: 'sorted' }));
  };

  it('agrees with Go on odd spellings, nulls, duplicates and wrong types', async () => {
    await fc.assert(fc.asyncProperty(oddFrame, agrees), { numRuns: 1500 });
  });

  it('agrees with Go on byte-level mutations of valid frames', async () => {
    await fc.assert(fc.asyncProperty(mutatedFrame, agrees), { numRuns: 1500 });
  });

  it('agrees on hand-picked corner cases', async () => {
    const cases = [
      '{"header":{"msg_id":"a","timestamp":1},"header":{"sync":true}}', // merges like Go
      '{"header":{"msg_id":"a"},"header":null}', // null leaves the struct alone
      '{"content":{"a":1},"content":null}',
      '{"content":{"a":1,"a":2}}',
      '{"HEADER":{"ſync":true,"\u212aey":1,"MSG_ID":"q"}}',
      '{"header":{"timestamp":-0}}',
      '{"header":{"timestamp":9223372036854775807}}',
      '{"header":{"timestamp":9223372036854775808}}',
      '{"header":{"timestamp":1e3}}',
      '{"header":{"timestamp":"1"}}',
      '{"x":1e400}',
      '{"content":1e400}',
      '{"content":1e-400}',
      '{"content":-1e-400}',
      '{"content":"\\ud800\\ud800\\udc00"}',
      '{"content":{"__proto__":{"x":1}}}',
      // invalid UTF-8 inside a string: truncated, overlong, surrogate, out of range, stray continuation
      ...[[0xf0, 0x9f, 0x98], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80], [0x80, 0xbf], [0xdf], [0xef, 0xbf]].map((bad) =>
        Buffer.concat([Buffer.from('{"content":"a'), Buffer.from(bad), Buffer.from('z","x":"\\u0041'), Buffer.from(bad), Buffer.from('"}')]),
      ),
      '{}x',
      'null',
      '',
    ];
    for (const c of cases) await agrees(c);
  });

  it('keeps "__proto__" as data, never as a prototype', () => {
    const m = decodeMessage('{"content":{"__proto__":{"polluted":true}}}');
    expect(Object.getPrototypeOf(m.content)).toBe(Object.prototype);
    expect(Object.keys(m.content as JsonObject)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('decode errors', () => {
  it('never throws anything but E_BAD_MESSAGE on garbage', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string({ unit: 'binary' }), oddFrame, mutatedFrame), (frame) => {
        const r = tryDecodeMessage(frame);
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(EdgeproofError);
          expect(r.error.code).toBe('E_BAD_MESSAGE');
        }
        try {
          decodeMessage(frame);
        } catch (e) {
          expect(e).toBeInstanceOf(EdgeproofError);
        }
      }),
      { numRuns: 3000 },
    );
    expect(tryDecodeMessage(42 as unknown as string).ok).toBe(false);
  });

  it.each([
    ['', /frame is empty/],
    ['null', /JSON null/],
    ['[1]', /starts with '\['/],
    ['{"header":{"timestamp":1.5}}', /header.timestamp is 1.5, expected an integer/],
    ['{"header":{"timestamp":"1"}}', /header.timestamp is the string "1"/],
    ['{"header":{"timestamp":9223372036854775808}}', /overflows Go int64/],
    ['{"header":{"timestamp":9007199254740993}}', /beyond ±2\^53/],
    ['{"header":{"msg_id":5}}', /header.msg_id is 5, expected a string/],
    ['{"header":{"sync":"yes"}}', /header.sync is the string "yes", expected a boolean/],
    ['{"route":[]}', /route is an array, expected an object/],
    ['{"route":{"source":{}}}', /route.source is an object, expected a scalar/],
    ['{"content":[1,2', /ends inside message.content\[2\]|ends inside message.content/],
    ['{"content":"a\u0001"}', /control character 0x01/],
    ['{"content":"\\q"}', /invalid escape 'q'/],
    ['{"content":01}', /expected ',' or '}'/],
    ['{"content":1e400}', /overflows float64/],
    ['{"content":{"a":tru}}', /expected 'true'/],
    ['{} {}', /after the message object/],
  ])('names the problem in %j', (frame, pattern) => {
    const r = tryDecodeMessage(frame);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(pattern);
    expect(r.error.where).toMatch(/^protocol codec: /);
    expect(r.error.fix).toBeTruthy();
  });
});

describe('encode errors', () => {
  const base = (content: unknown, timestamp = 1): Message => makeMessage({ msgId: 'x', timestamp }, {}, content as JsonValue);
  it.each([
    ['NaN', base({ a: [1, NaN] }), /content.a\[1\] is NaN/],
    ['Infinity', base(Infinity), /content is Infinity/],
    ['undefined', base({ a: undefined }), /content.a is undefined/],
    ['Date', base({ d: new Date(0) }), /not a plain JSON object/],
    ['bigint', base([1n]), /content\[0\] is a bigint/],
    ['float timestamp', base(null, 1.5), /header.timestamp/],
    ['colliding keys', base({ '\ud800': 1, '\udc00': 2 }), /become equal/],
  ])('rejects %s with E_BAD_MESSAGE', (_name, m, pattern) => {
    try {
      encodeMessage(m);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EdgeproofError);
      expect((e as EdgeproofError).code).toBe('E_BAD_MESSAGE');
      expect((e as EdgeproofError).message).toMatch(pattern);
    }
  });

  it('rejects cyclic content instead of hanging', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    expect(() => encodeMessage(base(a))).toThrow(/nests deeper than 10000 levels .* or is cyclic/);
  });

  it('encodeJson is json.Marshal: sorted keys, HTML-safe, no newline', () => {
    expect(encodeJson({ b: '<', a: [1.5, -0] })).toBe('{"a":[1.5,-0],"b":"\\u003c"}');
    expect(quote('plain')).toBe('"plain"');
  });
});
