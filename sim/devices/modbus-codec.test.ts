import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdgeproofError } from '../core/errors.ts';
import { byteLength, decodeValue, encodeDesired, parseEndpoint, parseVisitor, switchByte, switchRegister, type ParsedVisitor } from './modbus-codec.ts';
import { float32ToWords, swapBytes16, uint32ToWords, type WordOrder } from './registers.ts';

const wordsToBytes = (words: readonly number[]): Uint8Array => {
  const out = new Uint8Array(words.length * 2);
  words.forEach((w, i) => {
    out[i * 2] = (w >> 8) & 0xff;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
};

const visitor = (over: Partial<ParsedVisitor>): ParsedVisitor => ({ register: 'HoldingRegister', offset: 0, limit: 1, scale: 1, isSwap: false, isRegisterSwap: false, dataType: 'int', ...over });

describe('decoding register bytes like the KubeEdge Modbus mapper', () => {
  it('reads a uint32 spread over two registers, high word first', () => {
    expect(decodeValue(visitor({ register: 'InputRegister', limit: 2 }), wordsToBytes(uint32ToWords(70_000, 'ABCD')))).toBe('70000');
    // without the right word order the value is wrong: the check can tell
    expect(decodeValue(visitor({ register: 'InputRegister', limit: 2 }), wordsToBytes(uint32ToWords(70_000, 'CDAB')))).not.toBe('70000');
  });

  it('undoes a low-word-first float with isRegisterSwap and formats it with six decimals', () => {
    const v = visitor({ register: 'InputRegister', limit: 2, dataType: 'float', isRegisterSwap: true });
    expect(decodeValue(v, wordsToBytes(float32ToWords(12_345.5, 'CDAB')))).toBe('12345.500000');
    expect(decodeValue({ ...v, isRegisterSwap: false }, wordsToBytes(float32ToWords(12_345.5, 'CDAB')))).not.toBe('12345.500000');
  });

  it('undoes swapped bytes with isSwap', () => {
    const v = visitor({ register: 'InputRegister', isSwap: true });
    expect(decodeValue(v, wordsToBytes([swapBytes16(300)]))).toBe('300');
    expect(decodeValue({ ...v, isSwap: false }, wordsToBytes([swapBytes16(300)]))).toBe(String(swapBytes16(300)));
  });

  it('applies the scale and truncates ints as the Go mapper does (int64(float64(raw)*scale))', () => {
    expect(decodeValue(visitor({ scale: 10 }), wordsToBytes([6_000]))).toBe('60000');
    expect(decodeValue(visitor({ scale: 0.1 }), wordsToBytes([235]))).toBe('23');
    expect(decodeValue(visitor({ dataType: 'float', scale: 0.1 }), wordsToBytes([0xffff]))).toBe('-0.100000');
  });

  it('reads booleans from coil bits and from registers', () => {
    const coil = visitor({ register: 'CoilRegister', dataType: 'boolean' });
    expect(decodeValue(coil, Uint8Array.of(1))).toBe('true');
    expect(decodeValue(coil, Uint8Array.of(0))).toBe('false');
    expect(decodeValue(coil, Uint8Array.of(2))).toBe('false'); // the second coil, not the first
    expect(decodeValue(visitor({ dataType: 'boolean' }), wordsToBytes([1]))).toBe('true');
  });

  it('reads strings without their NUL padding', () => {
    expect(decodeValue(visitor({ dataType: 'string', limit: 3 }), Uint8Array.from([...new TextEncoder().encode('GATE'), 0, 0]))).toBe('GATE');
  });

  it('refuses bytes that do not fit the type', () => {
    expect(() => decodeValue(visitor({ dataType: 'double', limit: 2 }), new Uint8Array(4))).toThrow(EdgeproofError);
    expect(() => decodeValue(visitor({ dataType: 'int', limit: 3 }), new Uint8Array(6))).toThrow(/1, 2, 4 or 8/);
  });

  it('switchRegister reverses the words and switchByte swaps inside them (mappers-go semantics)', () => {
    expect([...switchRegister(Uint8Array.of(1, 2, 3, 4))]).toEqual([3, 4, 1, 2]);
    expect([...switchRegister(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))]).toEqual([7, 8, 5, 6, 3, 4, 1, 2]);
    expect([...switchByte(Uint8Array.of(1, 2, 3, 4))]).toEqual([2, 1, 4, 3]);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 16 }).filter((a) => a.length % 2 === 0), (bytes) => {
        expect([...switchRegister(switchRegister(bytes))]).toEqual([...bytes]);
        expect([...switchByte(switchByte(bytes))]).toEqual([...bytes]);
      }),
    );
  });
});

describe('encoding desired values (the inverse of reading)', () => {
  const orders: readonly WordOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
  const swapsOf = (o: WordOrder): { isSwap: boolean; isRegisterSwap: boolean } => ({ isRegisterSwap: o === 'CDAB' || o === 'DCBA', isSwap: o === 'BADC' || o === 'DCBA' });

  it('round-trips integers over one and two registers with any scale and swap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(1, 2, 10), fc.constantFrom(...orders), fc.constantFrom(1, 2), (raw, scale, order, limit) => {
        const v = visitor({ limit, scale, ...swapsOf(order) });
        const value = String(raw * scale);
        const plan = encodeDesired(v, value, 'dev', 'p');
        expect(plan.kind).toBe('registers');
        if (plan.kind !== 'registers') return;
        expect(plan.words).toHaveLength(limit);
        expect(decodeValue(v, wordsToBytes(plan.words))).toBe(value);
      }),
    );
  });

  it('round-trips float32 values in every word order', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constantFrom(...orders), (x, order) => {
        const v = visitor({ limit: 2, dataType: 'float', ...swapsOf(order) });
        const plan = encodeDesired(v, String(x), 'dev', 'p');
        if (plan.kind !== 'registers') throw new Error('expected registers');
        expect(decodeValue(v, wordsToBytes(plan.words))).toBe(Math.fround(x).toFixed(6));
      }),
    );
  });

  it('drives coils from booleans (strconv.ParseBool spellings) and 0/1', () => {
    const coil = visitor({ register: 'CoilRegister', dataType: 'boolean' });
    expect(encodeDesired(coil, 'true', 'gate', 'open')).toEqual({ kind: 'coil', value: true });
    expect(encodeDesired(coil, 'F', 'gate', 'open')).toEqual({ kind: 'coil', value: false });
    expect(encodeDesired(visitor({ register: 'CoilRegister' }), '1', 'gate', 'open')).toEqual({ kind: 'coil', value: true });
  });

  it('refuses what a device cannot take, naming the device and property', () => {
    const refuse = (v: ParsedVisitor, value: string): EdgeproofError => {
      try {
        encodeDesired(v, value, 'gate-7', 'open');
      } catch (e) {
        if (e instanceof EdgeproofError) return e;
        throw e;
      }
      throw new Error(`${value} was accepted`);
    };
    expect(refuse(visitor({ register: 'CoilRegister', dataType: 'boolean' }), 'maybe').where).toBe('gate-7');
    expect(refuse(visitor({ register: 'CoilRegister' }), '2').message).toMatch(/0 or 1/);
    expect(refuse(visitor({ register: 'InputRegister' }), '1').message).toMatch(/read-only/);
    expect(refuse(visitor({ register: 'DiscreteInputRegister', dataType: 'boolean' }), 'true').message).toMatch(/read-only/);
    expect(refuse(visitor({}), '70000').message).toMatch(/does not fit/);
    expect(refuse(visitor({}), '1.5').message).toMatch(/not an integer/);
  });
});

describe('visitor and endpoint configData', () => {
  const ok = { register: 'HoldingRegister', offset: 2, limit: 1, scale: 1, isSwap: true, isRegisterSwap: false };

  it('parses the v1beta1 keys, matching them case-insensitively like Go json', () => {
    expect(parseVisitor(ok, 'INT', 'd', 'p')).toMatchObject({ register: 'HoldingRegister', offset: 2, limit: 1, isSwap: true, dataType: 'int' });
    expect(parseVisitor({ Register: 'CoilRegister', Offset: 3, Limit: 1 }, 'BOOLEAN', 'd', 'p')).toMatchObject({ register: 'CoilRegister', offset: 3, scale: 1, dataType: 'boolean' });
    expect(parseVisitor({ ...ok, dataType: 'float', limit: 2 }, 'INT', 'd', 'p').dataType).toBe('float');
    expect(byteLength({ register: 'CoilRegister', limit: 9 })).toBe(2);
  });

  it('refuses bad visitors with the device as `where` and the property in the message', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...ok, register: 'Coil' }, 'INT', /register "Coil"/],
      [{ ...ok, offset: '2' }, 'INT', /offset "2"/], // the e2e suite's string numbers do not unmarshal in Go either
      [{ ...ok, offset: -1 }, 'INT', /offset -1/],
      [{ ...ok, limit: 0 }, 'INT', /limit 0/],
      [{ ...ok, limit: 200 }, 'INT', /limit 200/],
      [{ ...ok, isSwap: 'yes' }, 'INT', /isSwap/],
      [{ ...ok, limit: 2 }, 'BYTES', /cannot be read/],
      [{ ...ok, offset: 65_535, limit: 2 }, 'INT', /past address 65535/],
    ];
    for (const [config, type, pattern] of cases) {
      let caught: unknown;
      try {
        parseVisitor(config, type, 'smoke-9', 'obscuration');
      } catch (e) {
        caught = e;
      }
      expect(caught, JSON.stringify(config)).toBeInstanceOf(EdgeproofError);
      expect((caught as EdgeproofError).where).toBe('smoke-9');
      expect((caught as EdgeproofError).message).toMatch(/obscuration/);
      expect((caught as EdgeproofError).message).toMatch(pattern);
    }
    expect(() => parseVisitor({ ...ok, limit: 3 }, 'FLOAT', 'd', 'p')).toThrow(/cannot be decoded from 6 byte/);
    // one register is a scaled 16-bit integer for FLOAT (a documented extension of mappers-go): accepted
    expect(parseVisitor({ ...ok, limit: 1 }, 'FLOAT', 'd', 'p').dataType).toBe('float');
  });

  it('parses the protocol endpoint and refuses a missing or bad one', () => {
    expect(parseEndpoint({ ip: '127.0.0.1', port: 5020, slaveID: 3 }, 'd')).toEqual({ ip: '127.0.0.1', port: 5020, slaveID: 3 });
    expect(parseEndpoint({ ip: '127.0.0.1', port: 5020 }, 'd').slaveID).toBe(1);
    expect(() => parseEndpoint({ port: 5020 }, 'd')).toThrow(/no ip/);
    expect(() => parseEndpoint({ ip: '127.0.0.1', port: '5020' }, 'd')).toThrow(/not a TCP port/);
    expect(() => parseEndpoint({ ip: '127.0.0.1', port: 5020, slaveID: 300 }, 'd')).toThrow(/slaveID/);
  });
});
