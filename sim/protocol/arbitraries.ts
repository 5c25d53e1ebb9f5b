/**
 * fast-check generators for wire messages and hostile frames. Test support: they aim at the places where Go
 * and JS disagree (escaping, surrogates, -0, exponent formats, key order, case-folded keys, int64 limits).
 */
import fc from 'fast-check';
import { encodeMessage } from './codec.ts';
import type { JsonValue, Message } from './message.ts';

const specialChars = fc.constantFrom(
  '<', '>', '&', '\u2028', '\u2029', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\x00', '\x1f', '\x7f',
  '\ud800', '\udbff', '\udc00', '\udfff', '😀', '\ufffd', '\ufeff', '\u0085', 'é', 'K', 'ſ', 'a', ' ',
);

export const wireString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: specialChars, maxLength: 10 }),
);

/** Keys without lone surrogates (collisions after U+FFFD replacement are an encode error, tested apart). */
export const wireKey: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('a', 'b', 'A', '10', '9', '0', '__proto__', 'constructor', 'é', '😀', '\uffff', '\ue000', '<k>', 'apiVersion', 'kind', ''),
);

export const wireNumber: fc.Arbitrary<number> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -0, 1e21, 1e-7, 1e-6, 1e20, 5e-324, -1.5e-300, 1.7976931348623157e308, 9007199254740993, 0.1, 123456789012345680000),
);

export const wireJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue; array: JsonValue[]; object: Record<string, JsonValue> }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    wireNumber,
    wireString,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(wireKey, tie('value'), { maxKeys: 5 }),
})).value;

export const wireTimestamp: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
);

export const wireMessage: fc.Arbitrary<Message> = fc.record({
  header: fc.record({
    msgId: fc.oneof(fc.uuid(), wireString),
    parentMsgId: fc.oneof(fc.constant(''), fc.uuid(), wireString),
    timestamp: wireTimestamp,
    resourceVersion: fc.oneof(fc.constant(''), fc.nat().map(String), wireString),
    sync: fc.boolean(),
    type: fc.oneof(fc.constant(''), wireString),
  }),
  route: fc.record({
    source: wireString,
    destination: fc.oneof(fc.constant(''), wireString),
    group: wireString,
    operation: wireString,
    resource: wireString,
  }),
  content: wireJson,
});

// ---------------------------------------------------------------------------------------------------------
// Hostile frames: JSON-ish text that exercises Go's struct decoding rules, and byte-level mutations.

const ws = fc.constantFrom('', '', ' ', '\n', '\t', ' \r\n ');
const scalarText = fc.oneof(
  fc.constantFrom(
    '1', '-0', '0', '1.0', '1e3', '1E+2', '0e0', '-1', '1.5', '9007199254740993', '9223372036854775807',
    '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '1e400', '-1e400', '1e-400',
    'true', 'false', 'null', '""', '"x"', '"\\u0041"', '"\\ud800"', '"\\ud83d\\ude00"', '"\\udc00\\ud800\\udc00"',
    '"\\ud800\\u0041"', '"\\/"', '"\\x"', '"\\u12"', '"a\tb"', '"<&>"', '01', '.5', '-', '1.', '1e', 'tru', 'nul',
    '[]', '{}', '[1,]', '{"a":1,}', '[1 2]', '{"a" 1}', '"\u2028"',
  ),
  wireNumber.map((n) => (Object.is(n, -0) ? '-0' : String(n))),
  wireString.map((s) => JSON.stringify(s)),
);
const headerKey = fc.constantFrom(
  'msg_id', 'MSG_ID', 'Msg_Id', 'parent_msg_id', 'timestamp', 'TimeStamp', 'TIMESTAMP', 'resourceversion',
  'resourceVersion', 'sync', 'ſync', 'SYNC', 'type', 'TYPE', 'bogus', 'msg_id ', 'msg\\u005fid',
);
const routeKey = fc.constantFrom('source', 'SOURCE', 'destination', 'group', 'operation', 'resource', 'ſource', 'x');
const member = (key: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(ws, key, ws, ws, value, ws).map(([a, k, b, c, v, d]) => `${a}"${k}"${b}:${c}${v}${d}`);
const objectText = (members: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.array(members, { maxLength: 5 }).map((ms) => `{${ms.join(',')}}`);
const headerText = fc.oneof(objectText(member(headerKey, scalarText)), scalarText);
const routeText = fc.oneof(objectText(member(routeKey, scalarText)), scalarText);
const contentText = fc.oneof(scalarText, wireJson.map((v) => JSON.stringify(v) ?? 'null'));
const topMember = fc.oneof(
  member(fc.constantFrom('header', 'HEADER', 'Header'), headerText),
  member(fc.constantFrom('route', 'ROUTE', 'Route'), routeText),
  member(fc.constantFrom('content', 'CONTENT', 'Content', 'contenT'), contentText),
  member(fc.constantFrom('extra', 'x', 'ſ'), scalarText),
);

/** JSON-ish message frames with odd key spellings, duplicate/null/ill-typed fields, and a few non-objects. */
export const oddFrame: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(ws, objectText(topMember), ws).map(([a, o, b]) => a + o + b) },
  { weight: 1, arbitrary: fc.tuple(objectText(topMember), fc.constantFrom('x', '{}', ']', 'null', '\u0000')).map(([o, t]) => o + t) },
  { weight: 1, arbitrary: fc.constantFrom('null', ' null ', '[]', '"x"', '1', 'true', '', '   ', '{', '{"header"', '\ufeff{}') },
);

const interestingBytes = fc.constantFrom(0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x3a, 0x2c, 0x20, 0x0a, 0xff, 0x00, 0x6e, 0x30, 0x39, 0x2d, 0x2e, 0x65, 0x75, 0xc0, 0xc3, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x80, 0x9f, 0xbf);

type Mutation = { kind: 'flip'; at: number; value: number } | { kind: 'delete'; at: number; length: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.oneof(interestingBytes, fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.oneof(interestingBytes, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(frame: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(frame);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case 'flip':
        b[at] = m.value;
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

/** Valid frames (ours, insertion or sorted) with a few byte-level mutations. */
export const mutatedFrame: fc.Arbitrary<Buffer> = fc
  .tuple(wireMessage, fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([m, sorted, ms]) => mutate(Buffer.from(encodeMessage(m, sorted ? { keyOrder: 'sorted' } : {})), ms));
