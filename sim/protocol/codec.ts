/**
 * The WebSocket codec of CloudHub/EdgeHub (kubeedge pkg/viaduct/pkg/lane/wsnopack.go): one JSON document per
 * frame, written by gorilla's WriteJSON (json.NewEncoder(w).Encode: HTML-safe escaping, trailing "\n") and read
 * by ReadJSON (json.NewDecoder(r).Decode into beehive's model.Message).
 *
 * Why a hand-written codec instead of JSON.stringify/JSON.parse: Go differs from JS in ways that matter for
 * byte-for-byte equality and for accepting exactly what Go accepts — `<>&` and U+2028/U+2029 are escaped,
 * `-0` stays `-0`, lone surrogates and invalid UTF-8 become U+FFFD (per byte), map keys are sorted by bytes,
 * struct keys match case-insensitively, and a number that does not fit its Go type is an error.
 * govectors/ runs the real Go code on the same inputs and codec.test.ts compares the bytes.
 */
import { EdgeproofError } from '../core/index.ts';
import { isUtf8 } from 'node:buffer';
import type { JsonArray, JsonObject, JsonValue, Message, MessageHeader, MessageRoute } from './message.ts';

/** encoding/json's scanner limit (maxNestingDepth); the message object itself is level 1. */
export const MAX_NESTING_DEPTH = 10_000;

/**
 * How object keys inside `content` are ordered.
 * - 'insertion': JS property order — what Go writes for a typed struct declared in that order (edged sends
 *   typed k8s objects). JS puts integer-like keys first in ascending order; Go structs never have such keys.
 * - 'sorted': byte order of the UTF-8 keys — what Go writes for map[string]interface{}, i.e. whenever Go
 *   re-encodes content it decoded (CloudCore relaying or re-marshalling an edge message).
 */
export type KeyOrder = 'insertion' | 'sorted';

export interface EncodeOptions {
  readonly keyOrder?: KeyOrder;
}

const WHERE = 'protocol codec';

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** Encode a message exactly as gorilla WriteJSON does: the frame text including the trailing "\n". */
export function encodeMessage(message: Message, options: EncodeOptions = {}): string {
  const sorted = options.keyOrder === 'sorted';
  const h = message.header;
  const r = message.route;
  checkHeader(h);
  checkRoute(r);
  let out = '{"header":{"msg_id":' + quote(h.msgId);
  if (h.parentMsgId !== '') out += ',"parent_msg_id":' + quote(h.parentMsgId);
  out += ',"timestamp":' + String(h.timestamp === 0 ? 0 : h.timestamp);
  if (h.resourceVersion !== '') out += ',"resourceversion":' + quote(h.resourceVersion);
  if (h.sync) out += ',"sync":true';
  if (h.type !== '') out += ',"type":' + quote(h.type);
  out += '},"route":{';
  let first = true;
  const field = (name: string, value: string): void => {
    if (value === '') return;
    out += (first ? '"' : ',"') + name + '":' + quote(value);
    first = false;
  };
  field('source', r.source);
  field('destination', r.destination);
  field('group', r.group);
  field('operation', r.operation);
  field('resource', r.resource);
  out += '},"content":' + encodeValue(message.content, sorted, 2, 'content');
  return out + '}\n';
}

/** The frame as bytes (what goes on the socket). */
export function encodeMessageBytes(message: Message, options: EncodeOptions = {}): Buffer {
  return Buffer.from(encodeMessage(message, options), 'utf8');
}

/**
 * json.Marshal of a generic value (no trailing newline), e.g. to build the patch string edged puts in a
 * nodepatch/podpatch content. Default key order is 'sorted' because that is what Go does for maps.
 */
export function encodeJson(value: JsonValue, options: EncodeOptions = {}): string {
  return encodeValue(value, options.keyOrder !== 'insertion', 1, 'value');
}

function checkHeader(h: MessageHeader): void {
  for (const [name, v] of [
    ['msgId', h.msgId],
    ['parentMsgId', h.parentMsgId],
    ['resourceVersion', h.resourceVersion],
    ['type', h.type],
  ] as const) {
    if (typeof v !== 'string') throw encodeError(`header.${name} is ${describe(v)}, expected a string`, `header.${name}`);
  }
  if (typeof h.timestamp !== 'number' || !Number.isSafeInteger(h.timestamp)) {
    throw encodeError(
      `header.timestamp is ${describe(h.timestamp)}, expected an integer number of milliseconds (Go int64)`,
      'header.timestamp',
    );
  }
  if (typeof h.sync !== 'boolean') throw encodeError(`header.sync is ${describe(h.sync)}, expected a boolean`, 'header.sync');
}

function checkRoute(r: MessageRoute): void {
  for (const [name, v] of [
    ['source', r.source],
    ['destination', r.destination],
    ['group', r.group],
    ['operation', r.operation],
    ['resource', r.resource],
  ] as const) {
    if (typeof v !== 'string') throw encodeError(`route.${name} is ${describe(v)}, expected a string`, `route.${name}`);
  }
}

function encodeError(message: string, path: string): EdgeproofError {
  return new EdgeproofError('E_BAD_MESSAGE', `cannot encode message: ${message}`, {
    where: `${WHERE}: ${path}`,
    fix: 'build messages with the constructors in sim/protocol/message.ts and keep content to plain JSON values',
    context: { path },
  });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return `the number ${String(v)}`;
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : `an object (${Object.prototype.toString.call(v).slice(8, -1)})`;
  return `a ${typeof v}`;
}

interface ArrayFrame {
  readonly kind: 'array';
  readonly items: readonly unknown[];
  index: number;
}
interface ObjectFrame {
  readonly kind: 'object';
  readonly object: Readonly<Record<string, unknown>>;
  readonly keys: readonly string[];
  /** Keys as Go will write them (lone surrogates replaced), parallel to `keys`. */
  readonly wireKeys: readonly string[];
  index: number;
}
type EncodeFrame = ArrayFrame | ObjectFrame;

/**
 * Iterative on purpose: content may legally nest 9 999 levels deep (Go's decoder limit), which would overflow
 * the JS stack in a recursive encoder; the same depth cap turns cyclic objects into an error, not a hang.
 */
function encodeValue(root: unknown, sorted: boolean, baseDepth: number, rootPath: string): string {
  const stack: EncodeFrame[] = [];
  let out = '';
  let value: unknown = root;
  const pathOf = (): string => encodePath(rootPath, stack);
  for (;;) {
    // Write `value`; containers push a frame and continue with their first element.
    descend: {
      if (value === null) {
        out += 'null';
        break descend;
      }
      switch (typeof value) {
        case 'string':
          out += quote(value);
          break descend;
        case 'boolean':
          out += value ? 'true' : 'false';
          break descend;
        case 'number':
          if (!Number.isFinite(value)) {
            throw encodeError(`${pathOf()} is ${String(value)}, which JSON cannot carry (Go: UnsupportedValueError)`, pathOf());
          }
          out += Object.is(value, -0) ? '-0' : String(value);
          break descend;
        case 'object': {
          // the value being written sits at level baseDepth + stack.length
          if (baseDepth + stack.length > MAX_NESTING_DEPTH) {
            throw encodeError(
              `${pathOf()} nests deeper than ${MAX_NESTING_DEPTH} levels (Go's decoder limit) or is cyclic`,
              pathOf(),
            );
          }
          if (Array.isArray(value)) {
            if (value.length === 0) {
              out += '[]';
              break descend;
            }
            out += '[';
            stack.push({ kind: 'array', items: value, index: 0 });
            value = value[0];
            continue;
          }
          const proto: unknown = Object.getPrototypeOf(value);
          if (proto !== Object.prototype && proto !== null) {
            throw encodeError(`${pathOf()} is ${describe(value)}, not a plain JSON object`, pathOf());
          }
          const object = value as Record<string, unknown>;
          const { keys, wireKeys } = orderedKeys(object, sorted, pathOf);
          if (keys.length === 0) {
            out += '{}';
            break descend;
          }
          out += '{' + quote(wireKeys[0] ?? '') + ':';
          stack.push({ kind: 'object', object, keys, wireKeys, index: 0 });
          value = object[keys[0] ?? ''];
          continue;
        }
        case 'undefined':
        case 'bigint':
        case 'symbol':
        case 'function':
          throw encodeError(`${pathOf()} is ${describe(value)}, not a JSON value`, pathOf());
      }
    }
    // Move to the next sibling, closing finished containers.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return out;
      top.index++;
      if (top.kind === 'array') {
        if (top.index < top.items.length) {
          out += ',';
          value = top.items[top.index];
          break;
        }
        out += ']';
      } else {
        if (top.index < top.keys.length) {
          out += ',' + quote(top.wireKeys[top.index] ?? '') + ':';
          value = top.object[top.keys[top.index] ?? ''];
          break;
        }
        out += '}';
      }
      stack.pop();
    }
  }
}

function encodePath(root: string, stack: readonly EncodeFrame[]): string {
  let path = root;
  for (const f of stack) {
    path += f.kind === 'array' ? `[${f.index}]` : `.${f.keys[f.index] ?? ''}`;
  }
  return shortPath(path);
}

/** Error paths of deeply nested garbage would otherwise be megabytes long. */
function shortPath(path: string): string {
  return path.length <= 160 ? path : `${path.slice(0, 80)}…${path.slice(-70)}`;
}

type PathRef = string | (() => string);
function resolvePath(ref: PathRef): string {
  return typeof ref === 'string' ? ref : ref();
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

function orderedKeys(
  object: Record<string, unknown>,
  sorted: boolean,
  pathOf: () => string,
): { keys: string[]; wireKeys: string[] } {
  let keys = Object.keys(object);
  let wireKeys = keys;
  if (keys.some((k) => HAS_SURROGATE.test(k))) {
    wireKeys = keys.map(wellFormed);
    if (new Set(wireKeys).size !== wireKeys.length) {
      throw encodeError(
        `${pathOf()} has keys that become equal once lone surrogates are replaced by U+FFFD, as Go does`,
        pathOf(),
      );
    }
  }
  if (sorted) {
    const order = keys.map((_, i) => i).sort((a, b) => compareCodePoints(wireKeys[a] ?? '', wireKeys[b] ?? ''));
    const k0 = keys;
    const w0 = wireKeys;
    keys = order.map((i) => k0[i] ?? '');
    wireKeys = order.map((i) => w0[i] ?? '');
  }
  return { keys, wireKeys };
}

/** Go sorts map keys with strings.Compare on UTF-8 bytes, which is code point order, not UTF-16 order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only surrogates (U+D800..U+DFFF) vs U+E000..U+FFFF disagree between UTF-16 and code point order.
    if (x >= 0xd800 && y >= 0xd800) {
      const xs = x <= 0xdfff;
      const ys = y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Replace lone surrogates with U+FFFD: what a JS string becomes on its way through UTF-8 into Go. */
function wellFormed(s: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    out += s.slice(start, i) + '\ufffd';
    start = i + 1;
  }
  return start === 0 ? s : out + s.slice(start);
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';

/** encoding/json appendString with escapeHTML=true, on a JS string (see wellFormed for surrogates). */
export function quote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c < 0x20) {
      switch (c) {
        case 0x08:
          rep = '\\b';
          break;
        case 0x0c:
          rep = '\\f';
          break;
        case 0x0a:
          rep = '\\n';
          break;
        case 0x0d:
          rep = '\\r';
          break;
        case 0x09:
          rep = '\\t';
          break;
        default:
          rep = '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
      }
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (c === 0x3c) rep = '\\u003c';
    else if (c === 0x3e) rep = '\\u003e';
    else if (c === 0x26) rep = '\\u0026';
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      rep = '\ufffd';
    } else continue;
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

export type DecodeResult = { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly error: EdgeproofError };

/**
 * Decode one frame (text or binary — gorilla's ReadJSON accepts both) into a Message. Accepts what
 * ReadJSON into model.Message accepts, with three deliberate strictnesses, each reported as E_BAD_MESSAGE:
 * a frame that is JSON `null` (Go: silently an empty message), bytes after the document other than
 * whitespace (Go: ignored), and a timestamp beyond ±2^53 (Go int64 holds it, a JS number cannot).
 * Throws only EdgeproofError('E_BAD_MESSAGE').
 */
export function decodeMessage(frame: string | Uint8Array): Message {
  const result = tryDecodeMessage(frame);
  if (!result.ok) throw result.error;
  return result.message;
}

/** decodeMessage without exceptions, for hot receive loops. */
export function tryDecodeMessage(frame: string | Uint8Array): DecodeResult {
  let buf: Buffer;
  if (typeof frame === 'string') buf = Buffer.from(frame, 'utf8');
  else if (frame instanceof Uint8Array) buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  else {
    return {
      ok: false,
      error: new EdgeproofError('E_BAD_MESSAGE', `frame is ${describe(frame)}, expected text or bytes`, {
        where: WHERE,
        fix: 'pass the WebSocket frame payload as a string or Buffer',
      }),
    };
  }
  try {
    return { ok: true, message: new Parser(buf).message() };
  } catch (e) {
    if (e instanceof EdgeproofError) return { ok: false, error: e };
    // A bug here must still surface as the codec's one error kind, never crash a receive loop.
    return {
      ok: false,
      error: new EdgeproofError('E_BAD_MESSAGE', `frame could not be decoded: ${e instanceof Error ? e.message : String(e)}`, {
        where: WHERE,
        fix: 'report this frame to edgeproof maintainers; it broke the decoder',
        cause: e,
      }),
    };
  }
}

type Scalar = string | number | boolean | null;

/**
 * The frames Go's ReadJSON accepts and decodeMessage rejects on purpose; an E_BAD_MESSAGE for one of these
 * carries it in `context.stricterThanGo`.
 */
export type StricterThanGo = 'null-frame' | 'trailing-data' | 'unsafe-timestamp';

interface HeaderDraft {
  msgId: string;
  parentMsgId: string;
  timestamp: number;
  resourceVersion: string;
  sync: boolean;
  type: string;
}
interface RouteDraft {
  source: string;
  destination: string;
  group: string;
  operation: string;
  resource: string;
}

/** Go matches JSON keys to struct fields case-insensitively; these are the folded names of model.Message. */
const MESSAGE_FIELDS = { HEADER: 'header', ROUTE: 'route', CONTENT: 'content' } as const;
const HEADER_FIELDS = {
  MSG_ID: 'msgId',
  PARENT_MSG_ID: 'parentMsgId',
  TIMESTAMP: 'timestamp',
  RESOURCEVERSION: 'resourceVersion',
  SYNC: 'sync',
  TYPE: 'type',
} as const;
const ROUTE_FIELDS = {
  SOURCE: 'source',
  DESTINATION: 'destination',
  GROUP: 'group',
  OPERATION: 'operation',
  RESOURCE: 'resource',
} as const;

/**
 * encoding/json foldName restricted to what can match an ASCII field name: ASCII letters upper-cased, and
 * the only two non-ASCII runes whose simple case fold is ASCII (U+017F ſ → S, U+212A Kelvin → K).
 */
function foldKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) out += String.fromCharCode(c - 0x20);
    else if (c === 0x17f) out += 'S';
    else if (c === 0x212a) out += 'K';
    else out += key[i];
  }
  return out;
}

function lookup<T extends Record<string, string>>(table: T, key: string): T[keyof T] | undefined {
  const folded = foldKey(key);
  return Object.prototype.hasOwnProperty.call(table, folded) ? (table[folded] as T[keyof T]) : undefined;
}

interface ParseContainer {
  readonly kind: 'array' | 'object';
  readonly value: JsonArray | JsonObject | null;
  key: string;
  count: number;
}

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;

class Parser {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  message(): Message {
    const header: HeaderDraft = { msgId: '', parentMsgId: '', timestamp: 0, resourceVersion: '', sync: false, type: '' };
    const route: RouteDraft = { source: '', destination: '', group: '', operation: '', resource: '' };
    let content: JsonValue = null;
    this.ws();
    const c = this.peek();
    if (c === -1) this.fail('the frame is empty', 'message', 'send one JSON object per WebSocket frame');
    if (c === 0x6e && this.buf.subarray(this.pos, this.pos + 4).toString('latin1') === 'null') {
      this.fail(
        'the frame is JSON null, not a message object (Go would read it as an empty message)',
        'message',
        undefined,
        'null-frame',
      );
    }
    if (c !== 0x7b) this.fail(`the frame starts with ${this.charAt(this.pos)}, expected '{' (a message object)`, 'message');
    this.pos++;
    this.object(1, 'message', (key, path) => {
      switch (lookup(MESSAGE_FIELDS, key)) {
        case 'header':
          this.struct(2, path, HEADER_FIELDS, (field, fpath) => this.headerField(header, field, fpath));
          return;
        case 'route':
          this.struct(2, path, ROUTE_FIELDS, (field, fpath) => {
            const v = this.stringOrNull(fpath);
            if (v !== null) route[field] = v;
          });
          return;
        case 'content':
          content = this.value(2, path);
          return;
        case undefined:
          this.skip(2, path);
          return;
      }
    });
    this.ws();
    if (this.pos < this.buf.length) {
      this.fail(
        `unexpected ${this.charAt(this.pos)} after the message object (Go ignores trailing data; edgeproof does not)`,
        'message',
        'send exactly one JSON document per frame',
        'trailing-data',
      );
    }
    return { header: { ...header }, route: { ...route }, content };
  }

  private headerField(header: HeaderDraft, field: (typeof HEADER_FIELDS)[keyof typeof HEADER_FIELDS], path: string): void {
    switch (field) {
      case 'msgId':
      case 'parentMsgId':
      case 'resourceVersion':
      case 'type': {
        const v = this.stringOrNull(path);
        if (v !== null) header[field] = v;
        return;
      }
      case 'sync': {
        const v = this.scalar(path);
        if (v === null) return;
        if (typeof v !== 'boolean') this.typeError(path, v, 'a boolean (Go bool)');
        header.sync = v;
        return;
      }
      case 'timestamp': {
        this.ws();
        const c = this.peek();
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          const start = this.pos;
          const text = this.numberText(path);
          if (!/^-?\d+$/.test(text)) {
            this.failAt(start, `${path} is ${text}, expected an integer (Go int64 milliseconds)`, path, 'write the timestamp as integer milliseconds since the epoch');
          }
          const n = Number(text);
          const big = BigInt(text);
          if (big > 9223372036854775807n || big < -9223372036854775808n) {
            this.failAt(start, `${path} is ${text}, which overflows Go int64`, path);
          }
          if (!Number.isSafeInteger(n)) {
            this.failAt(
              start,
              `${path} is ${text}, beyond ±2^53: Go accepts it but edgeproof cannot represent it exactly`,
              path,
              undefined,
              'unsafe-timestamp',
            );
          }
          header.timestamp = n === 0 ? 0 : n;
          return;
        }
        const v = this.scalar(path);
        if (v !== null) this.typeError(path, v, 'an integer (Go int64 milliseconds)');
        return;
      }
    }
  }

  /** A JSON string or null (Go leaves a string field untouched on null). */
  private stringOrNull(path: string): string | null {
    const v = this.scalar(path);
    if (v !== null && typeof v !== 'string') this.typeError(path, v, 'a string');
    return v;
  }

  /** Read a value for a scalar Go field; containers are a type error. */
  private scalar(path: string): Scalar {
    this.ws();
    const c = this.peek();
    if (c === 0x7b || c === 0x5b) {
      this.fail(`${path} is ${c === 0x7b ? 'an object' : 'an array'}, expected a scalar`, path, 'check the field type against beehive model.Message');
    }
    return this.value(3, path) as Scalar;
  }

  private typeError(path: string, v: Scalar, expected: string): never {
    const shown = typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}` : `${String(v)}`;
    this.fail(`${path} is ${shown}, expected ${expected}`, path, 'check the field type against beehive model.Message');
  }

  /** Parse a Go struct object (or null, which Go treats as "leave as is"); unknown keys are skipped. */
  private struct<T extends Record<string, string>>(
    depth: number,
    path: string,
    fields: T,
    onField: (field: T[keyof T], path: string) => void,
  ): void {
    this.ws();
    const c = this.peek();
    if (c === 0x6e) {
      this.literal('null', path);
      return;
    }
    if (c !== 0x7b) {
      const v = c === 0x5b ? 'an array' : this.describeScalarAt(path);
      this.fail(`${path} is ${v}, expected an object`, path, 'check the field type against beehive model.Message');
    }
    this.pos++;
    this.object(depth, path, (key, fpath) => {
      const field = lookup(fields, key);
      if (field === undefined) this.skip(depth + 1, fpath);
      else onField(field, fpath);
    });
  }

  private describeScalarAt(path: string): string {
    const v = this.value(3, path) as Scalar;
    return typeof v === 'string' ? 'a string' : String(v);
  }

  /** After '{': iterate members, letting `onMember` consume each value. */
  private object(depth: number, path: string, onMember: (key: string, path: string) => void): void {
    if (depth > MAX_NESTING_DEPTH) this.fail(`${path} nests deeper than ${MAX_NESTING_DEPTH} levels`, path);
    this.ws();
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== 0x22) this.fail(`expected a quoted key in ${path}, found ${this.charAt(this.pos)}`, path);
      const key = this.string(true, path);
      this.ws();
      if (this.peek() !== 0x3a) this.fail(`expected ':' after key ${JSON.stringify(key)} in ${path}, found ${this.charAt(this.pos)}`, path);
      this.pos++;
      onMember(key, `${path}.${key}`);
      this.ws();
      const c = this.peek();
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return;
      }
      this.fail(`expected ',' or '}' in ${path}, found ${this.charAt(this.pos)}`, path);
    }
  }

  private skip(depth: number, path: string): void {
    this.any(depth, path, false);
  }

  private value(depth: number, path: string): JsonValue {
    return this.any(depth, path, true);
  }

  /**
   * One JSON value, iteratively (see encodeValue for why). `keep` = false only syntax-checks, as Go's
   * d.skip() does for unknown fields — so a number that overflows float64 is fine there and fatal in content.
   */
  private any(depth: number, path: string, keep: boolean): JsonValue {
    const stack: ParseContainer[] = [];
    // computed only when an error needs it: building it per value would make parsing O(size × depth)
    const pathOf = (): string => {
      let p = path;
      for (const f of stack) p += f.kind === 'array' ? `[${f.count}]` : `.${f.key}`;
      return shortPath(p);
    };
    for (;;) {
      this.ws();
      let v: JsonValue;
      const c = this.peek();
      switch (c) {
        case 0x7b:
        case 0x5b: {
          if (depth + stack.length > MAX_NESTING_DEPTH) {
            this.fail(`${pathOf()} nests deeper than ${MAX_NESTING_DEPTH} levels (Go: exceeded max depth)`, pathOf());
          }
          this.pos++;
          this.ws();
          const isObject = c === 0x7b;
          if (this.peek() === (isObject ? 0x7d : 0x5d)) {
            this.pos++;
            v = keep ? (isObject ? {} : []) : null;
            break;
          }
          const frame: ParseContainer = { kind: isObject ? 'object' : 'array', value: keep ? (isObject ? {} : []) : null, key: '', count: 0 };
          stack.push(frame);
          if (isObject) this.memberKey(frame, pathOf);
          continue;
        }
        case 0x22:
          v = this.string(keep, pathOf);
          break;
        case 0x74:
          this.literal('true', pathOf);
          v = true;
          break;
        case 0x66:
          this.literal('false', pathOf);
          v = false;
          break;
        case 0x6e:
          this.literal('null', pathOf);
          v = null;
          break;
        default: {
          if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            const start = this.pos;
            const text = this.numberText(pathOf);
            if (keep) {
              const n = Number(text);
              if (!Number.isFinite(n)) {
                this.failAt(start, `${pathOf()} is ${text}, which overflows float64 (Go: cannot unmarshal number)`, pathOf());
              }
              v = n;
            } else v = null;
            break;
          }
          this.fail(
            c === -1 ? `the frame ends inside ${pathOf()}` : `unexpected ${this.charAt(this.pos)} where ${pathOf()} should begin`,
            pathOf(),
          );
        }
      }
      // Attach `v` to its parent; close every container that ends here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return v;
        if (top.value !== null) {
          if (top.kind === 'array') (top.value as JsonArray).push(v);
          else setMember(top.value as JsonObject, top.key, v);
        }
        top.count++;
        this.ws();
        const n = this.peek();
        if (n === 0x2c) {
          this.pos++;
          if (top.kind === 'object') this.memberKey(top, pathOf);
          break;
        }
        if (n === (top.kind === 'object' ? 0x7d : 0x5d)) {
          this.pos++;
          v = top.value;
          stack.pop();
          continue;
        }
        this.fail(
          n === -1
            ? `the frame ends inside ${pathOf()}`
            : `expected ',' or '${top.kind === 'object' ? '}' : ']'}' after ${pathOf()}, found ${this.charAt(this.pos)}`,
          pathOf(),
        );
      }
    }
  }

  private memberKey(frame: ParseContainer, pathOf: () => string): void {
    this.ws();
    if (this.peek() !== 0x22) this.fail(`expected a quoted key after ${pathOf()}, found ${this.charAt(this.pos)}`, pathOf());
    frame.key = this.string(true, pathOf);
    this.ws();
    if (this.peek() !== 0x3a) this.fail(`expected ':' after key ${JSON.stringify(frame.key)}, found ${this.charAt(this.pos)}`, pathOf());
    this.pos++;
  }

  /** A JSON string at pos (on the opening quote), unquoted the way Go's unquoteBytes does it. */
  private string(keep: boolean, pathRef: PathRef): string {
    const buf = this.buf;
    const start = this.pos + 1;
    let i = start;
    let ascii = true;
    for (;;) {
      const b = i < buf.length ? (buf[i] as number) : -1;
      if (b === 0x22) break;
      if (b === 0x5c || b < 0x20) return this.slowString(keep, pathRef);
      if (b >= 0x80) ascii = false;
      i++;
    }
    this.pos = i + 1;
    if (!keep) return '';
    if (ascii) return buf.toString('latin1', start, i);
    const view = buf.subarray(start, i);
    return isUtf8(view) ? view.toString('utf8') : goUtf8(buf, start, i);
  }

  private slowString(keep: boolean, pathRef: PathRef): string {
    const buf = this.buf;
    let i = this.pos + 1;
    let out = '';
    let segment = i;
    const flush = (end: number): void => {
      if (keep && end > segment) out += goUtf8(buf, segment, end);
    };
    for (;;) {
      if (i >= buf.length) this.failAt(this.pos, `the frame ends inside a string in ${resolvePath(pathRef)}`, resolvePath(pathRef));
      const b = buf[i] as number;
      if (b === 0x22) {
        flush(i);
        this.pos = i + 1;
        return out;
      }
      if (b < 0x20) {
        this.failAt(i, `control character 0x${b.toString(16).padStart(2, '0')} inside a string in ${resolvePath(pathRef)} (must be escaped)`, resolvePath(pathRef));
      }
      if (b !== 0x5c) {
        i++;
        continue;
      }
      flush(i);
      const e = i + 1 < buf.length ? (buf[i + 1] as number) : -1;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const r = this.hex4(i + 2);
          if (r < 0) this.failAt(i, `invalid \\u escape in a string in ${resolvePath(pathRef)}`, resolvePath(pathRef));
          i += 6;
          if (r >= 0xd800 && r < 0xe000) {
            // utf16.DecodeRune(r, next \uXXXX): a valid pair is consumed; otherwise r alone becomes U+FFFD.
            const r2 = buf[i] === 0x5c && buf[i + 1] === 0x75 ? this.hex4(i + 2) : -1;
            if (r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000) {
              out += String.fromCharCode(r, r2);
              i += 6;
            } else out += '\ufffd';
          } else out += String.fromCharCode(r);
          segment = i;
          continue;
        }
        default:
          this.failAt(i, `invalid escape ${e === -1 ? 'at the end of the frame' : this.charAt(i + 1)} in a string in ${resolvePath(pathRef)}`, resolvePath(pathRef));
      }
      i += 2;
      segment = i;
    }
  }

  private hex4(at: number): number {
    if (at + 4 > this.buf.length) return -1;
    let r = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.buf[at + k] as number;
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return -1;
      r = r * 16 + d;
    }
    return r;
  }

  /** The text of a number at pos, validated against the JSON grammar exactly as Go's scanner does. */
  private numberText(pathRef: PathRef): string {
    const buf = this.buf;
    const start = this.pos;
    let i = start;
    const digit = (k: number): boolean => k < buf.length && (buf[k] as number) >= 0x30 && (buf[k] as number) <= 0x39;
    if (buf[i] === 0x2d) i++;
    if (!digit(i)) this.failAt(i, `expected a digit in a number in ${resolvePath(pathRef)}, found ${this.charAt(i)}`, resolvePath(pathRef));
    if (buf[i] === 0x30) i++;
    else while (digit(i)) i++;
    if (buf[i] === 0x2e) {
      i++;
      if (!digit(i)) this.failAt(i, `expected a digit after '.' in a number in ${resolvePath(pathRef)}, found ${this.charAt(i)}`, resolvePath(pathRef));
      while (digit(i)) i++;
    }
    if (buf[i] === 0x65 || buf[i] === 0x45) {
      i++;
      if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
      if (!digit(i)) this.failAt(i, `expected a digit in the exponent of a number in ${resolvePath(pathRef)}, found ${this.charAt(i)}`, resolvePath(pathRef));
      while (digit(i)) i++;
    }
    this.pos = i;
    return buf.toString('latin1', start, i);
  }

  private literal(word: 'true' | 'false' | 'null', pathRef: PathRef): void {
    for (let k = 0; k < word.length; k++) {
      if (this.buf[this.pos + k] !== word.charCodeAt(k)) {
        this.failAt(this.pos + k, `invalid literal in ${resolvePath(pathRef)}: expected '${word}', found ${this.charAt(this.pos + k)}`, resolvePath(pathRef));
      }
    }
    this.pos += word.length;
  }

  private ws(): void {
    const buf = this.buf;
    let i = this.pos;
    while (i < buf.length && WS[buf[i] as number] === 1) i++;
    this.pos = i;
  }

  private peek(): number {
    return this.pos < this.buf.length ? (this.buf[this.pos] as number) : -1;
  }

  private charAt(at: number): string {
    if (at >= this.buf.length) return 'the end of the frame';
    const b = this.buf[at] as number;
    return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
  }

  private fail(message: string, path: string, fix?: string, deviation?: StricterThanGo): never {
    this.failAt(this.pos, message, path, fix, deviation);
  }

  private failAt(offset: number, message: string, path: string, fix?: string, deviation?: StricterThanGo): never {
    throw new EdgeproofError('E_BAD_MESSAGE', `bad message frame: ${message}`, {
      where: `${WHERE}: ${path} at byte ${offset}`,
      fix: fix ?? 'the peer must send one JSON-encoded beehive model.Message per WebSocket frame',
      context: { offset, path, frameBytes: this.buf.length, stricterThanGo: deviation },
    });
  }
}

function setMember(object: JsonObject, key: string, value: JsonValue): void {
  // A plain assignment to "__proto__" would replace the prototype instead of adding a member.
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** Decode UTF-8 the way Go's utf8.DecodeRune loop does: every byte of an invalid sequence is one U+FFFD. */
function goUtf8(buf: Buffer, start: number, end: number): string {
  let out = '';
  let i = start;
  let run = start;
  while (i < end) {
    const b0 = buf[i] as number;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let size = 0;
    const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < end && (buf[i + k] as number) >= lo && (buf[i + k] as number) <= hi;
    if (b0 >= 0xc2 && b0 <= 0xdf) size = cont(1) ? 2 : 0;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      const lo = b0 === 0xe0 ? 0xa0 : 0x80;
      const hi = b0 === 0xed ? 0x9f : 0xbf;
      size = cont(1, lo, hi) && cont(2) ? 3 : 0;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      const lo = b0 === 0xf0 ? 0x90 : 0x80;
      const hi = b0 === 0xf4 ? 0x8f : 0xbf;
      size = cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
    }
    if (size > 0) {
      i += size;
      continue;
    }
    out += buf.toString('utf8', run, i) + '\ufffd';
    i++;
    run = i;
  }
  return out + buf.toString('utf8', run, end);
}
