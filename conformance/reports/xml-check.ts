/**
 * Test support: a strict little XML 1.0 parser (well-formedness: one root, matched tags, quoted attributes, no
 * duplicate attributes, only the five predefined entities and character references, only legal characters) and a
 * checker of the JUnit structure in reports/schema/junit.xsd — element order, required attributes and their
 * types, and the suite's counts agreeing with its test cases. Not a general XML library: no DTDs, no namespaces.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | { readonly text: string };

export const isElement = (n: XmlNode): n is XmlElement => 'name' in n;

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
const illegalChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

export class XmlError extends Error {}

export function parseXml(xml: string): XmlElement {
  const bad = illegalChar.exec(xml);
  if (bad !== null) throw new XmlError(`illegal character U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} at ${bad.index}`);
  let i = 0;
  const fail = (msg: string): never => {
    throw new XmlError(`${msg} at offset ${i}: ${JSON.stringify(xml.slice(Math.max(0, i - 20), i + 30))}`);
  };
  const decode = (raw: string, where: string): string =>
    raw.replace(/&([^;]*);|&/g, (m, ref: string | undefined) => {
      if (ref === undefined) return fail(`bare & in ${where}`);
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
      if (named[ref] !== undefined) return named[ref];
      const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
      if (num === null) return fail(`unknown entity ${m} in ${where}`);
      const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2] ?? '', 10);
      const ch = String.fromCodePoint(cp);
      if (illegalChar.test(ch)) return fail(`character reference ${m} to an illegal character`);
      return ch;
    });
  const skipMisc = (): void => {
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i));
      i += ws?.[0].length ?? 0;
      if (xml.startsWith('<!--', i)) {
        const end = xml.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (xml.startsWith('<?', i) && !xml.startsWith('<?xml ', i)) {
        const end = xml.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const name = NAME.exec(xml.slice(i))?.[0];
    if (name === undefined) return fail('bad element name');
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i))?.[0] ?? '';
      i += ws.length;
      if (xml.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [] };
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      if (ws === '') fail('attributes must be separated by white space');
      const an = NAME.exec(xml.slice(i))?.[0];
      if (an === undefined) return fail('bad attribute name');
      i += an.length;
      const eq = /^\s*=\s*/.exec(xml.slice(i));
      if (eq === null) fail(`attribute ${an} without =`);
      i += eq?.[0].length ?? 0;
      const q = xml[i];
      if (q !== '"' && q !== "'") return fail(`attribute ${an} value not quoted`);
      const end = xml.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = xml.slice(i + 1, end);
      if (raw.includes('<')) fail(`< in attribute ${an}`);
      if (Object.hasOwn(attrs, an)) fail(`duplicate attribute ${an}`);
      // attribute-value normalisation: literal white space characters become spaces
      attrs[an] = decode(raw.replace(/[\t\n\r]/g, ' '), `attribute ${an}`);
      i = end + 1;
    }
    const children: XmlNode[] = [];
    let text = '';
    const flushText = (): void => {
      if (text !== '') children.push({ text });
      text = '';
    };
    for (;;) {
      if (i >= xml.length) fail(`unclosed <${name}>`);
      if (xml.startsWith('</', i)) {
        i += 2;
        const close = NAME.exec(xml.slice(i))?.[0];
        if (close !== name) fail(`</${close ?? '?'}> closes <${name}>`);
        i += name.length;
        const gt = /^\s*>/.exec(xml.slice(i));
        if (gt === null) fail('bad closing tag');
        i += gt?.[0].length ?? 0;
        flushText();
        return { name, attrs, children };
      }
      if (xml.startsWith('<!--', i)) {
        const end = xml.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
        continue;
      }
      if (xml.startsWith('<![CDATA[', i)) {
        const end = xml.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA');
        text += xml.slice(i + 9, end);
        i = end + 3;
        continue;
      }
      if (xml[i] === '<') {
        flushText();
        children.push(element());
        continue;
      }
      const next = xml.indexOf('<', i);
      const raw = xml.slice(i, next < 0 ? xml.length : next);
      if (raw.includes(']]>')) fail(']]> in text');
      text += decode(raw, `text of <${name}>`);
      i = next < 0 ? xml.length : next;
    }
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

export const textOf = (e: XmlElement): string => e.children.map((c) => (isElement(c) ? textOf(c) : c.text)).join('');
export const childElements = (e: XmlElement): XmlElement[] => e.children.filter(isElement);

// ─────────────────────────────────────────── JUnit structure (reports/schema/junit.xsd) ───────────────────────────────────────────

interface Shape {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}
const shapes: Readonly<Record<string, Shape>> = {
  testsuites: { required: [], optional: ['name', 'tests', 'failures', 'errors', 'skipped', 'disabled', 'time'] },
  testsuite: { required: ['name', 'tests', 'failures', 'errors', 'skipped', 'time', 'timestamp'], optional: ['hostname', 'id', 'package', 'disabled', 'file'] },
  properties: { required: [], optional: [] },
  property: { required: ['name', 'value'], optional: [] },
  testcase: { required: ['name', 'classname', 'time'], optional: ['assertions', 'status'] },
  failure: { required: ['type'], optional: ['message'] },
  error: { required: ['type'], optional: ['message'] },
  skipped: { required: [], optional: ['message'] },
  'system-out': { required: [], optional: [] },
  'system-err': { required: [], optional: [] },
};
const intAttrs = new Set(['tests', 'failures', 'errors', 'skipped', 'disabled']);
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$/;

/** Children allowed in order: [name, max occurrences]. */
const sequences: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  testsuites: [['testsuite', Infinity]],
  testsuite: [
    ['properties', 1],
    ['testcase', Infinity],
    ['system-out', 1],
    ['system-err', 1],
  ],
  properties: [['property', Infinity]],
  testcase: [
    ['skipped', 1],
    ['error', Infinity],
    ['failure', Infinity],
    ['system-out', Infinity],
    ['system-err', Infinity],
  ],
};
const textOnly = new Set(['failure', 'error', 'skipped', 'system-out', 'system-err']);

/** Every way `root` departs from the JUnit schema; empty when it conforms. */
export function junitProblems(root: XmlElement): string[] {
  const problems: string[] = [];
  const visit = (e: XmlElement, path: string): void => {
    const shape = shapes[e.name];
    if (shape === undefined) {
      problems.push(`${path}: unknown element <${e.name}>`);
      return;
    }
    for (const a of shape.required) if (!(a in e.attrs)) problems.push(`${path}: missing attribute ${a}`);
    for (const [a, v] of Object.entries(e.attrs)) {
      if (!shape.required.includes(a) && !shape.optional.includes(a)) problems.push(`${path}: unknown attribute ${a}`);
      if (intAttrs.has(a) && !/^[0-9]+$/.test(v)) problems.push(`${path}: ${a}="${v}" is not a non-negative integer`);
      if (a === 'time' && !/^[0-9]+(\.[0-9]+)?$/.test(v)) problems.push(`${path}: time="${v}" is not a decimal ≥ 0`);
      if (a === 'timestamp' && !TIMESTAMP.test(v)) problems.push(`${path}: timestamp="${v}" is not yyyy-mm-ddThh:mm:ss`);
    }
    if (textOnly.has(e.name)) {
      if (childElements(e).length > 0) problems.push(`${path}: <${e.name}> holds elements`);
      return;
    }
    for (const c of e.children) if (!isElement(c) && c.text.trim() !== '') problems.push(`${path}: text in <${e.name}>: ${JSON.stringify(c.text.slice(0, 40))}`);
    const seq = sequences[e.name] ?? [];
    let at = 0;
    const seen = new Map<string, number>();
    for (const c of childElements(e)) {
      while (at < seq.length && seq[at]?.[0] !== c.name) at++;
      if (at >= seq.length) {
        problems.push(`${path}: <${c.name}> not allowed here in <${e.name}>`);
        continue;
      }
      const n = (seen.get(c.name) ?? 0) + 1;
      seen.set(c.name, n);
      if (n > (seq[at]?.[1] ?? 0)) problems.push(`${path}: too many <${c.name}>`);
      visit(c, `${path}/${c.name}${c.attrs['name'] !== undefined ? `[${c.attrs['name']}]` : ''}`);
    }
  };
  if (root.name !== 'testsuites' && root.name !== 'testsuite') problems.push(`root is <${root.name}>, not <testsuites> or <testsuite>`);
  visit(root, root.name);
  // counts agree with the cases
  const suites = root.name === 'testsuite' ? [root] : childElements(root).filter((c) => c.name === 'testsuite');
  for (const s of suites) {
    const cases = childElements(s).filter((c) => c.name === 'testcase');
    const count = (kind: string): number => cases.filter((c) => childElements(c).some((x) => x.name === kind)).length;
    const want = { tests: cases.length, failures: count('failure'), errors: count('error'), skipped: count('skipped') };
    for (const [k, v] of Object.entries(want)) if (s.attrs[k] !== String(v)) problems.push(`testsuite ${s.attrs['name'] ?? '?'}: ${k}="${s.attrs[k] ?? ''}" but ${v} cases`);
  }
  return problems;
}
