/**
 * A structural check of device objects against the real CRD OpenAPI v3 schemas of the pinned KubeEdge release
 * (build/crds/devices/*.yaml in the KubeEdge module), without an apiserver. It checks what the apiserver's
 * structural-schema validation checks for these CRDs — types, int64 formats, enums, required fields — and
 * additionally reports every field the apiserver would silently prune (unknown to the schema and not under
 * x-kubernetes-preserve-unknown-fields), because a pruned visitor or desired value is a silent bug.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kubeEdgeCrdDir } from '../components/crds.ts';
import { EdgeproofError } from '../core/errors.ts';

export interface OpenApiSchema {
  readonly type?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly items?: OpenApiSchema;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly additionalProperties?: boolean | OpenApiSchema;
  readonly nullable?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
}

export interface CrdVersionSchema {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly version: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly scope: string;
  readonly schema: OpenApiSchema;
  readonly file: string;
}

export interface SchemaViolation {
  readonly path: string;
  readonly message: string;
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every version of every CRD in the devices CRD directory of the pinned KubeEdge module. */
export function loadDeviceCrdSchemas(dir: string = join(kubeEdgeCrdDir(), 'devices')): CrdVersionSchema[] {
  const files = ['devices_v1beta1_device.yaml', 'devices_v1beta1_devicemodel.yaml', 'devices_v1beta1_devicestatus.yaml'].map((f) => join(dir, f));
  const out: CrdVersionSchema[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new EdgeproofError('E_COMPONENT_MISSING', `cannot read the device CRD ${file}`, {
        where: 'devices',
        fix: 'download the pinned KubeEdge module (npx edgeproof setup, or go mod download github.com/kubeedge/kubeedge@v1.23.1)',
        cause: e,
      });
    }
    if (!isObj(doc) || !isObj(doc['spec'])) throw new EdgeproofError('E_BAD_MESSAGE', `${file} is not a CustomResourceDefinition`, { where: 'devices' });
    const spec = doc['spec'];
    const names = isObj(spec['names']) ? spec['names'] : {};
    const versions = Array.isArray(spec['versions']) ? spec['versions'] : [];
    for (const v of versions) {
      if (!isObj(v) || !isObj(v['schema']) || !isObj(v['schema']['openAPIV3Schema'])) continue;
      out.push({
        group: String(spec['group']),
        kind: String(names['kind']),
        plural: String(names['plural']),
        version: String(v['name']),
        served: v['served'] === true,
        storage: v['storage'] === true,
        scope: String(spec['scope']),
        schema: v['schema']['openAPIV3Schema'],
        file,
      });
    }
  }
  return out;
}

export function schemaFor(schemas: readonly CrdVersionSchema[], apiVersion: string, kind: string): CrdVersionSchema | undefined {
  const [group, version] = apiVersion.split('/');
  return schemas.find((s) => s.group === group && s.version === version && s.kind === kind && s.served);
}

/** Validate a whole object: apiVersion/kind served by a CRD, ObjectMeta basics, then the schema. */
export function validateObject(schemas: readonly CrdVersionSchema[], obj: unknown): SchemaViolation[] {
  if (!isObj(obj)) return [{ path: '', message: 'not an object' }];
  const apiVersion = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
  const crd = schemaFor(schemas, apiVersion, kind);
  if (crd === undefined) return [{ path: 'apiVersion', message: `no served CRD version for ${apiVersion} ${kind}` }];
  return [...validateObjectMeta(obj['metadata'], crd.scope === 'Namespaced'), ...validateAgainstSchema(crd.schema, obj, '')];
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validateObjectMeta(meta: unknown, namespaced: boolean): SchemaViolation[] {
  if (!isObj(meta)) return [{ path: 'metadata', message: 'metadata must be an object' }];
  const out: SchemaViolation[] = [];
  const name = meta['name'];
  if (typeof name !== 'string' || name.length > 253 || !dns1123Subdomain.test(name)) out.push({ path: 'metadata.name', message: `invalid name ${JSON.stringify(name)} (DNS-1123 subdomain)` });
  if (namespaced && meta['namespace'] !== undefined && (typeof meta['namespace'] !== 'string' || !dns1123Subdomain.test(meta['namespace']))) {
    out.push({ path: 'metadata.namespace', message: 'invalid namespace' });
  }
  if (meta['labels'] !== undefined) {
    if (!isObj(meta['labels'])) out.push({ path: 'metadata.labels', message: 'labels must be a map of strings' });
    else
      for (const [k, v] of Object.entries(meta['labels'])) {
        if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v)) out.push({ path: `metadata.labels.${k}`, message: `invalid label value ${JSON.stringify(v)}` });
      }
  }
  return out;
}

/** The structural check of `value` against `schema` (see the module comment for what is covered). */
export function validateAgainstSchema(schema: OpenApiSchema, value: unknown, path: string): SchemaViolation[] {
  const at = path === '' ? '(root)' : path;
  if (value === null) return schema.nullable === true ? [] : [{ path: at, message: 'null is not allowed' }];
  if (value === undefined) return [];
  const out: SchemaViolation[] = [];
  if (schema.enum !== undefined && !schema.enum.includes(value)) out.push({ path: at, message: `${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}` });
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') out.push({ path: at, message: `expected string, got ${typeOf(value)}` });
      return out;
    case 'boolean':
      if (typeof value !== 'boolean') out.push({ path: at, message: `expected boolean, got ${typeOf(value)}` });
      return out;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) out.push({ path: at, message: `expected integer, got ${typeOf(value)} ${JSON.stringify(value)}` });
      else if (schema.format === 'int32' && (value < -(2 ** 31) || value > 2 ** 31 - 1)) out.push({ path: at, message: `${value} overflows int32` });
      else if (schema.format === 'int64' && !Number.isSafeInteger(value)) out.push({ path: at, message: `${value} is not a safe int64` });
      return out;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) out.push({ path: at, message: `expected number, got ${typeOf(value)}` });
      return out;
    case 'array':
      if (!Array.isArray(value)) {
        out.push({ path: at, message: `expected array, got ${typeOf(value)}` });
        return out;
      }
      if (schema.items !== undefined) {
        const items = schema.items;
        value.forEach((item, i) => out.push(...validateAgainstSchema(items, item, `${path}[${i}]`)));
      }
      return out;
    case 'object':
    case undefined: {
      if (schema.type === undefined && schema.properties === undefined && schema.additionalProperties === undefined) return out;
      if (!isObj(value)) {
        out.push({ path: at, message: `expected object, got ${typeOf(value)}` });
        return out;
      }
      for (const req of schema.required ?? []) if (value[req] === undefined) out.push({ path: join2(path, req), message: 'required field is missing' });
      const props = schema.properties;
      const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
      for (const [k, v] of Object.entries(value)) {
        const sub = props?.[k];
        if (sub !== undefined) out.push(...validateAgainstSchema(sub, v, join2(path, k)));
        else if (typeof schema.additionalProperties === 'object') out.push(...validateAgainstSchema(schema.additionalProperties, v, join2(path, k)));
        else if (props !== undefined && !preserve && schema.additionalProperties !== true) out.push({ path: join2(path, k), message: 'unknown field: the apiserver would prune it' });
      }
      return out;
    }
    default:
      return [{ path: at, message: `schema type ${schema.type} not understood` }];
  }
}

function join2(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function typeOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : typeof v;
}
