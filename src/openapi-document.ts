import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { openapi } from '@seamapi/types/connect';
import { getMetadataStorage } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { MAX_KEY_LENGTH, MAX_KEYS, MAX_VALUE_LENGTH } from './custom-metadata/custom-metadata.js';
import { MAX_SELECTOR_VALUES } from './custom-metadata/custom-metadata-selector.js';
import { METADATA_RESOURCE_TYPES } from './custom-metadata/metadata-set.js';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_ENUM_VALUES,
  METADATA_KEY_FORMATS,
  METADATA_KEY_TYPES,
  SCHEMA_RULES,
} from './custom-metadata/metadata-schema.js';
import { HttpModule } from './http/http.module.js';
import { rawParamsOf, type RawParamKind } from './http/seam-input.js';
import { ALLOWED_METHODS, PUBLIC_ROUTE } from './http/seam-route.js';
import { HOSTED_PAGE_PATH } from './http/hosted-page.js';

/**
 * The OpenAPI 3.1 document of every route, generated from the controllers (paths, methods, which need a key)
 * and their DTOs (class-validator rules, as JSON Schema). Seam's routes take their answers, operation ids
 * and summaries from Seam's own document (`@seamapi/types`), so a client generated from either reads the
 * same objects; what Seam's API lacks is marked `x-extension: true`, down to single parameters and methods.
 *
 *   npm run openapi     writes openapi.json at the root; the server serves it at GET /openapi.json, and
 *                       test/e2e/openapi.test.ts fails while the file and the routes differ.
 */

type Schema = Record<string, unknown>;
type Operation = Record<string, unknown>;

/** Seam's own document (OpenAPI 3.0), as much of its shape as is read here. */
const seamDocument = openapi as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

interface Route {
  path: string;
  methods: string[];
  isPublic: boolean;
  dto: (new () => object) | undefined;
  summary: string;
}

/** Answers of the routes Seam's document lacks: what each returns on success. */
const EXTENSION_ANSWERS: Record<string, { schema: Schema; mediaType?: string; description: string }> = {
  '/connect_webviews/custom_metadata_history': historyAnswer('connect_webview'),
  '/connected_accounts/custom_metadata_history': historyAnswer('connected_account'),
  '/devices/custom_metadata_history': historyAnswer('device'),
  '/connect_webviews/simulate/complete': {
    description: 'Sandbox only: completes the webview as its end user would, and answers it completed',
    schema: okWith({ connect_webview: { $ref: '#/components/schemas/connect_webview' } }),
  },
  '/connect_webviews/view/complete': {
    description: "The hosted page's login form: completes the webview for its end user (no API key)",
    schema: okWith({}),
  },
  '/connect_webviews/view': {
    description: "The end user's hosted Connect Webview page (no API key: the webview's auth_token)",
    schema: { type: 'string' },
    mediaType: 'text/html',
  },
  '/events/stream': {
    description:
      'Server-sent events: each public event as `id: <event_id>`, `event: <event_type>`, `data: <event JSON>`. ' +
      'Reconnect with Last-Event-ID to resume after an event.',
    schema: { type: 'string' },
    mediaType: 'text/event-stream',
  },
  '/webhooks/rotate_secret': {
    description: 'A new signing secret, answered this once; the previous one signs too for 24 hours',
    schema: okWith({ webhook: { $ref: '#/components/schemas/webhook' } }),
  },
  '/health': { description: 'Readiness (kept for compatibility): the same as /health/ready', schema: okWith({}) },
  '/health/live': { description: 'Liveness: the process answers', schema: okWith({}) },
  '/health/ready': {
    description:
      'Readiness: the store answers, the read models have caught up, the disk is writable (503 naming why not)',
    schema: okWith({}),
  },
  '/openapi.json': { description: 'This document', schema: { type: 'object' } },
  '/custom_metadata/schemas/get': {
    description:
      "A resource type's metadata schema; with none set, `keys` is empty, `updated_at` null, and any metadata goes",
    schema: okWith({ custom_metadata_schema: { $ref: '#/components/schemas/custom_metadata_schema' } }),
  },
  '/custom_metadata/schemas/update': {
    description:
      "Replaces a resource type's metadata schema. From then on every API write of that type's metadata (and a Connect Webview's, against the account schema too) must satisfy it, or is refused with 400 invalid_input naming the key and the rule",
    schema: okWith({ custom_metadata_schema: { $ref: '#/components/schemas/custom_metadata_schema' } }),
  },
  '/custom_metadata/keys/list': {
    description:
      "The workspace's keys of a resource type, in the order they first appeared, paged: each with how many resources hold it and its 10 most frequent values with theirs. Read from counts the metadata index keeps, never a scan of the resources.",
    schema: okWith({
      custom_metadata_keys: {
        type: 'array',
        items: {
          type: 'object',
          required: ['key', 'resources', 'top_values'],
          properties: {
            key: { type: 'string' },
            resources: { type: 'integer' },
            top_values: {
              type: 'array',
              items: {
                type: 'object',
                required: ['value', 'resources'],
                properties: { value: { type: ['string', 'boolean'] }, resources: { type: 'integer' } },
              },
            },
          },
        },
      },
      pagination: { type: 'object' },
    }),
  },
  '/custom_metadata/schemas/report': {
    description:
      'The resources whose current metadata breaks the current schema, newest first, paged, with each violation (key, rule, message). A page reads at most 5,000 resources, so it may hold fewer than `limit` and still have a next page.',
    schema: okWith({
      noncompliant_resources: {
        type: 'array',
        items: {
          type: 'object',
          required: ['resource_type', 'resource_id', 'custom_metadata', 'violations'],
          properties: {
            resource_type: { enum: [...METADATA_RESOURCE_TYPES] },
            resource_id: { type: 'string', format: 'uuid' },
            custom_metadata: { $ref: '#/components/schemas/custom_metadata' },
            violations: {
              type: 'array',
              items: {
                type: 'object',
                required: ['key', 'rule', 'message'],
                properties: {
                  key: { type: 'string' },
                  rule: { enum: [...SCHEMA_RULES] },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
      pagination: { type: 'object' },
    }),
  },
};

const RAW_PARAM_SCHEMAS: Record<RawParamKind, Schema> = {
  custom_metadata: { $ref: '#/components/schemas/custom_metadata' },
  custom_metadata_filter: { $ref: '#/components/schemas/custom_metadata_filter' },
  custom_metadata_selector: { $ref: '#/components/schemas/custom_metadata_selector' },
  custom_metadata_schema_keys: { $ref: '#/components/schemas/custom_metadata_schema_keys' },
};

/** What a parameter of this service's own means, with an example, wherever a route takes it. */
const PARAMETER_DOCS: Record<string, Schema> = {
  as_of: {
    description:
      'ISO 8601 (an extension): the answer as it was at that moment. On a get, the resource then (404 before it existed); on a list, the resources then (created by then, not yet deleted, with their metadata then), with every filter, selector and page.',
    examples: ['2026-03-01T12:00:00Z'],
  },
};

export function openApiDocument(): Schema {
  const routes = routesOf(Reflect.getMetadata('controllers', HttpModule) as (new () => object)[]);
  const dtoSchemas = validationMetadatasToSchemas({
    classValidatorMetadataStorage: getMetadataStorage(),
    refPointerPrefix: '#/components/schemas/',
    additionalConverters: {
      // `Unsupported()`: Seam's parameter that this service refuses, by name.
      equals: (meta) =>
        meta.constraints?.[0] === undefined
          ? { not: {}, description: 'Not supported by this service: refused with 400', 'x-extension': true }
          : { const: meta.constraints[0] },
    },
  }) as Record<string, Schema>;

  const paths: Record<string, Record<string, Operation>> = {};
  const schemas: Record<string, Schema> = {
    custom_metadata: {
      type: 'object',
      description: `Up to ${MAX_KEYS} key:value pairs; keys up to ${MAX_KEY_LENGTH} characters, values strings (up to ${MAX_VALUE_LENGTH}) or booleans. A null value removes its key on update.`,
      maxProperties: MAX_KEYS,
      propertyNames: { maxLength: MAX_KEY_LENGTH },
      additionalProperties: {
        anyOf: [{ type: 'string', maxLength: MAX_VALUE_LENGTH }, { type: 'boolean' }, { type: 'null' }],
      },
    },
    custom_metadata_filter: {
      type: 'object',
      description: 'Only resources whose custom_metadata has every one of these key:value pairs',
      maxProperties: MAX_KEYS,
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'boolean' }] },
    },
    custom_metadata_selector: {
      type: 'object',
      description:
        'A set-based selector (an extension): each key takes a value (equality), {in: [...]}, {not_in: [...]} (which also matches a resource without the key) or {exists: boolean}. Keys are ANDed, and the whole ANDs with custom_metadata_has. On a GET: custom_metadata_match.tenant.in=t1&custom_metadata_match.tenant.in=t2&custom_metadata_match.legacy_id.exists=false.',
      maxProperties: MAX_KEYS,
      additionalProperties: {
        anyOf: [
          { type: 'string' },
          { type: 'boolean' },
          selectorOperator('in'),
          selectorOperator('not_in'),
          {
            type: 'object',
            required: ['exists'],
            additionalProperties: false,
            properties: { exists: { type: 'boolean' } },
          },
        ],
      },
      examples: [
        { tenant: { in: ['t1', 't2'] }, plan: 'pro', internal_id: { exists: false }, tier: { not_in: ['trial'] } },
      ],
      'x-extension': true,
    },
    custom_metadata_schema_keys: metadataSchemaKeys(),
    custom_metadata_schema: {
      type: 'object',
      description: "A resource type's metadata schema (an extension)",
      required: ['resource_type', 'keys', 'allow_other_keys', 'updated_at'],
      properties: {
        resource_type: { enum: [...METADATA_RESOURCE_TYPES] },
        keys: { $ref: '#/components/schemas/custom_metadata_schema_keys' },
        allow_other_keys: { type: 'boolean' },
        updated_at: { type: ['string', 'null'], format: 'date-time' },
      },
      'x-extension': true,
    },
    error: {
      type: 'object',
      description: "Seam's error envelope",
      required: ['error', 'ok'],
      properties: {
        ok: { const: false },
        error: {
          type: 'object',
          required: ['type', 'message'],
          properties: {
            type: { type: 'string', examples: ['invalid_input', 'device_not_found', 'rate_limited'] },
            message: { type: 'string' },
            data: { type: 'object' },
            validation_errors: { type: 'object' },
          },
        },
      },
    },
  };
  const seamRefs = new Set<string>(['connect_webview', 'webhook']);

  for (const route of routes) {
    const seamPath = seamDocument.paths[route.path];
    const input = route.dto ? inputSchema(route.dto, dtoSchemas) : undefined;
    if (route.dto && input) schemas[route.dto.name] = input;
    const operations: Record<string, Operation> = {};
    for (const method of route.methods.map((m) => m.toLowerCase())) {
      const seam = seamPath?.[method] ?? (seamPath ? Object.values(seamPath)[0] : undefined);
      const operation: Operation = {
        operationId: seamPath?.[method]
          ? seam!.operationId
          : `${route.path.replace(/^\//, '').replace(/[/._-](\w)/g, (_, c: string) => c.toUpperCase())}${method[0].toUpperCase()}${method.slice(1)}`,
        summary: route.path,
        ...(seam?.description ? { description: seam.description } : { description: route.summary }),
        tags: [`/${route.path.split('/')[1]}`],
      };
      if (!seamPath?.[method]) operation['x-extension'] = true;
      if (input && route.dto) {
        const extraParams = seam ? paramsSeamLacks(input, seam) : [];
        if (method === 'get' || method === 'delete') operation.parameters = queryParameters(input, extraParams);
        else {
          operation.requestBody = {
            required: false,
            content: {
              // The hosted page's form posts as a browser does without JavaScript; every other route takes JSON.
              [route.path === `/${HOSTED_PAGE_PATH}` ? 'application/x-www-form-urlencoded' : 'application/json']: {
                schema: { $ref: `#/components/schemas/${route.dto.name}` },
              },
            },
          };
          if (extraParams.length > 0) operation['x-extension-parameters'] = extraParams;
        }
      }
      const comparesAndSets = Object.keys((input?.properties as object | undefined) ?? {}).includes(
        'expected_custom_metadata_revision',
      );
      operation.responses = {
        '200': withRevisionHeader(seam ? seamAnswer(seam, seamRefs) : extensionAnswer(route.path), route.path),
        '400': { $ref: '#/components/responses/error' },
        // An extension: a compare-and-set update whose expected revision is stale.
        ...(comparesAndSets ? { '409': { $ref: '#/components/responses/error', 'x-extension': true } } : {}),
        ...(route.isPublic ? {} : { '401': { $ref: '#/components/responses/error' } }),
        '429': { $ref: '#/components/responses/error' },
        '503': { $ref: '#/components/responses/error' },
      };
      operation.security = route.isPublic ? [] : [{ api_key: [] }];
      operations[method] = operation;
    }
    paths[route.path] = { ...paths[route.path], ...operations }; // the hosted page: GET and POST, two handlers
  }

  for (const name of seamComponents(seamRefs)) {
    schemas[name] = toOpenApi31(seamDocument.components.schemas[name]);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'custom-metadata-service',
      version: '1.0.0',
      description:
        "The custom-metadata part of the Seam API (devices, connected accounts, Connect Webviews, events, webhooks), compatible with Seam's SDKs, and its extensions (marked x-extension): metadata history, as_of, the event stream, simulate routes, webhook secret rotation, health.",
    },
    servers: [{ url: 'http://localhost:3000' }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: { api_key: { type: 'http', scheme: 'bearer', bearerFormat: 'API Key' } },
      responses: {
        error: {
          description: "An error, in Seam's envelope",
          content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } },
        },
      },
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}

/** Every route of every controller, from the decorators Nest routes by. */
function routesOf(controllers: (new () => object)[]): Route[] {
  const routes: Route[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const allowed = Reflect.getMetadata(ALLOWED_METHODS, handler) as string[] | undefined;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<
        string,
        { data?: unknown }
      >;
      const dto = Object.values(args)
        .map((arg) => arg.data)
        .find((data): data is new () => object => typeof data === 'function');
      routes.push({
        path: `/${path.replace(/^\//, '')}`,
        methods: allowed ?? [method],
        isPublic: Reflect.getMetadata(PUBLIC_ROUTE, handler) === true,
        dto,
        summary: EXTENSION_ANSWERS[`/${path}`]?.description ?? `/${path}`,
      });
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path));
}

/** A DTO's JSON Schema, with its raw parameters (custom metadata) added, as class-validator cannot see them. */
function inputSchema(dto: new () => object, dtoSchemas: Record<string, Schema>): Schema | undefined {
  const base = dtoSchemas[dto.name];
  const raw = rawParamsOf(dto);
  if (!base && Object.keys(raw).length === 0) return undefined;
  // A nested DTO (`devices/update`'s `properties`) is written in place: only route DTOs become components.
  const inline = (schema: Schema): Schema => {
    const ref = typeof schema.$ref === 'string' ? schema.$ref.replace('#/components/schemas/', '') : undefined;
    return ref && dtoSchemas[ref] ? dtoSchemas[ref] : schema;
  };
  const properties = Object.fromEntries(
    Object.entries((base?.properties as Record<string, Schema>) ?? {}).map(([key, schema]) => [key, inline(schema)]),
  );
  for (const [key, kind] of Object.entries(raw)) properties[key] = RAW_PARAM_SCHEMAS[kind];
  for (const [key, docs] of Object.entries(PARAMETER_DOCS)) {
    if (properties[key]) properties[key] = { ...properties[key], ...docs };
  }
  // An unsupported parameter (`not: {}`) is refused when given, so it is never required.
  const required = ((base?.required as string[] | undefined) ?? []).filter((key) => !properties[key]?.not);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

/** Parameters this service takes on a Seam route that Seam's operation does not name (`as_of`, say). */
function paramsSeamLacks(input: Schema, seam: Operation): string[] {
  const named = new Set<string>(
    ((seam.parameters as { name: string }[] | undefined) ?? [])
      .map((p) => p.name)
      .concat(
        Object.keys(
          ((seam.requestBody as { content?: Record<string, { schema?: { properties?: object } }> } | undefined)
            ?.content?.['application/json']?.schema?.properties ?? {}) as object,
        ),
      ),
  );
  return Object.keys(input.properties as object).filter((name) => !named.has(name));
}

function queryParameters(input: Schema, extensions: string[]): Schema[] {
  const required = new Set((input.required as string[] | undefined) ?? []);
  return Object.entries(input.properties as Record<string, Schema>).map(([name, schema]) => ({
    in: 'query',
    name,
    schema,
    required: required.has(name),
    ...(schema.$ref ? { style: 'deepObject', explode: true } : {}),
    ...(extensions.includes(name) ? { 'x-extension': true } : {}),
  }));
}

/**
 * Gets and updates of a resource with metadata answer its revision in a header (an extension): what a
 * compare-and-set update names in `expected_custom_metadata_revision`.
 */
function withRevisionHeader(answer: Schema, path: string): Schema {
  const carriesRevision =
    /^\/(devices|devices\/unmanaged|locks|thermostats|connected_accounts|connect_webviews)\/get$/.test(path) ||
    /^\/(devices|devices\/unmanaged|connected_accounts)\/update$/.test(path);
  if (!carriesRevision) return answer;
  const header = {
    description:
      "The resource's custom-metadata revision (the one custom_metadata_history shows), e.g. `3`: send it back as expected_custom_metadata_revision",
    schema: { type: 'integer', minimum: 0, example: 3 },
    'x-extension': true,
  };
  return {
    ...answer,
    headers: { ...((answer.headers as object | undefined) ?? {}), 'seam-custom-metadata-revision': header },
  };
}

function seamAnswer(seam: Operation, refs: Set<string>): Schema {
  const ok = (seam.responses as Record<string, Schema>)['200'];
  collectRefs(ok, refs);
  return toOpenApi31(ok);
}

function extensionAnswer(path: string): Schema {
  const answer = EXTENSION_ANSWERS[path];
  if (!answer) throw new Error(`openapi: no answer described for the extension route ${path} (EXTENSION_ANSWERS)`);
  return {
    description: answer.description,
    content: { [answer.mediaType ?? 'application/json']: { schema: answer.schema } },
  };
}

function selectorOperator(name: 'in' | 'not_in'): Schema {
  const values = {
    type: 'array',
    minItems: 1,
    maxItems: MAX_SELECTOR_VALUES,
    items: { anyOf: [{ type: 'string' }, { type: 'boolean' }] },
  };
  return { type: 'object', required: [name], additionalProperties: false, properties: { [name]: values } };
}

function okWith(properties: Record<string, Schema>): Schema {
  return {
    type: 'object',
    required: ['ok', ...Object.keys(properties)],
    properties: { ...properties, ok: { const: true } },
  };
}

function historyAnswer(resource: string): { schema: Schema; description: string } {
  return {
    description: `The custom-metadata history of one ${resource.replace('_', ' ')}, newest first, paged: who changed what, when and why`,
    schema: okWith({
      custom_metadata_history: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            event_id: { type: 'string', format: 'uuid' },
            changed_at: { type: 'string', format: 'date-time' },
            custom_metadata: { $ref: '#/components/schemas/custom_metadata' },
            changes: {
              type: 'array',
              items: {
                type: 'object',
                properties: { key: { type: 'string' }, from: {}, to: {} },
              },
            },
            cause: { type: 'object' },
            actor: { type: 'object' },
          },
        },
      },
      pagination: { type: 'object' },
    }),
  };
}

/** The `#/components/schemas/…` names a value refers to, added to `refs`. */
function collectRefs(value: unknown, refs: Set<string>): void {
  if (Array.isArray(value)) value.forEach((item) => collectRefs(item, refs));
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') refs.add(inner.replace('#/components/schemas/', ''));
      else collectRefs(inner, refs);
    }
  }
}

/** Every Seam component the answers need, and the ones those refer to. */
function seamComponents(refs: Set<string>): string[] {
  const all = seamDocument.components.schemas;
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name) || !all[name]) continue;
    seen.add(name);
    const more = new Set<string>();
    collectRefs(all[name], more);
    queue.push(...more);
  }
  return [...seen].sort();
}

/** Seam's document is OpenAPI 3.0: `nullable: true` becomes a `null` type, as 3.1 (JSON Schema) says it. */
function toOpenApi31(value: unknown): Schema {
  if (Array.isArray(value)) return value.map((item) => toOpenApi31(item)) as unknown as Schema;
  if (!value || typeof value !== 'object') return value as Schema;
  const { nullable, ...rest } = value as Schema;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, inner]) => [key, toOpenApi31(inner)]));
  if (nullable !== true) return converted;
  if (typeof converted.type === 'string') return { ...converted, type: [converted.type, 'null'] };
  return { anyOf: [converted, { type: 'null' }] };
}

/** `npm run openapi` (`--write`): writes the document to openapi.json at the project's root; else prints it. */
if (process.argv[1]?.endsWith('openapi-document.js')) {
  const text = `${JSON.stringify(openApiDocument(), null, 2)}\n`;
  if (process.argv.includes('--write')) {
    const file = join(import.meta.dirname, '..', 'openapi.json');
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}\n`);
  } else process.stdout.write(text);
}

/** A metadata schema's keys, each with its rule (metadata-schema.ts is where they are checked). */
function metadataSchemaKeys(): Schema {
  return {
    type: 'object',
    description: `Up to ${MAX_KEYS} keys, each with its rule: a type (string, boolean, or enum with its values), for a string an optional format (uuid, email, url, integer) and max_length, whether it is required after every API write, and a description. No rule runs a user-supplied expression.`,
    maxProperties: MAX_KEYS,
    propertyNames: { minLength: 1, maxLength: MAX_KEY_LENGTH },
    additionalProperties: {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        type: { enum: [...METADATA_KEY_TYPES] },
        values: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_ENUM_VALUES,
          uniqueItems: true,
          items: { type: 'string', maxLength: MAX_VALUE_LENGTH },
        },
        format: { enum: [...METADATA_KEY_FORMATS] },
        max_length: { type: 'integer', minimum: 1, maximum: MAX_VALUE_LENGTH },
        required: { type: 'boolean', default: false },
        description: { type: 'string', maxLength: MAX_DESCRIPTION_LENGTH },
      },
    },
    examples: [
      {
        internal_account_id: { type: 'string', format: 'uuid', required: true, description: 'Our account id' },
        plan: { type: 'enum', values: ['free', 'pro'] },
        is_test: { type: 'boolean' },
      },
    ],
    'x-extension': true,
  };
}
