import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { EdgeproofError, messageOf, type ErrorCode } from './errors.ts';

/**
 * YAML input (scenarios, profiles) that remembers where every value came from, so every complaint about it
 * names `file:line:col`, the path inside the document, what was expected and how to fix it.
 */
export class YamlInput {
  readonly file: string;
  readonly value: unknown;
  private readonly doc: Document;
  private readonly lines: LineCounter;
  private readonly code: ErrorCode;

  private constructor(file: string, doc: Document, lines: LineCounter, code: ErrorCode) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
    this.code = code;
    this.value = doc.toJS() as unknown;
  }

  static parse(file: string, text: string, code: ErrorCode): YamlInput {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first !== undefined) {
      const pos = lines.linePos(first.pos[0]);
      throw new EdgeproofError(code, `YAML syntax: ${first.message.split('\n')[0] ?? first.code}`, {
        where: `${file}:${pos.line}:${pos.col}`,
        fix: 'fix the YAML syntax at that position (indentation, a missing colon or quote)',
      });
    }
    return new YamlInput(file, doc, lines, code);
  }

  static load(file: string, code: ErrorCode): YamlInput {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new EdgeproofError(code, `cannot read file: ${messageOf(e)}`, { where: file, fix: 'check the path' });
    }
    return YamlInput.parse(file, text, code);
  }

  /** `file:line:col` of the value at `path` (or of its closest existing parent). */
  where(path: readonly (string | number)[]): string {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
      const range = node !== undefined && (isMap(node) || isSeq(node) || isScalar(node)) ? node.range : undefined;
      if (range !== undefined && range !== null) {
        const pos = this.lines.linePos(range[0]);
        return `${this.file}:${pos.line}:${pos.col}`;
      }
    }
    return `${this.file}:1:1`;
  }

  /** Position of a key itself (for "unknown key" errors). */
  whereKey(path: readonly (string | number)[]): string {
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1];
    const parent = this.doc.getIn(parentPath, true) as YamlNode | undefined;
    if (parent !== undefined && isMap(parent)) {
      for (const pair of parent.items) {
        if (isScalar(pair.key) && pair.key.value === key && pair.key.range !== undefined && pair.key.range !== null) {
          const pos = this.lines.linePos(pair.key.range[0]);
          return `${this.file}:${pos.line}:${pos.col}`;
        }
      }
    }
    return this.where(path);
  }

  error(path: readonly (string | number)[], message: string, fix: string, atKey = false): EdgeproofError {
    const dotted = path.length === 0 ? '(document)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
    return new EdgeproofError(this.code, `${dotted}: ${message}`, { where: atKey ? this.whereKey(path) : this.where(path), fix });
  }
}

/** Kubernetes-style quantities: `500m` CPU, `1Gi`/`512Mi`/`1G` memory. */
export function parseCpuMillis(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? Math.round(q * 1000) : undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  return m[2] === 'm' ? Math.round(n) : Math.round(n * 1000);
}

const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const decimal: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export function parseBytes(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? Math.round(q) : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T|B)?$/.exec(q.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2];
  if (unit === undefined || unit === 'B') return Math.round(n);
  return Math.round(n * (binary[unit] ?? decimal[unit] ?? 1));
}
