// Shared set-up for the TypeScript client tests: clients/run.sh generates
// the types from each served spec into target/clients/ts/, starts Steward at
// $STEWARD_URL with the credentials it exports, and runs these tests
// compiled. openapi-fetch checks requests and responses against the types
// at compile time only, so `conforms` also checks each answer against its
// schema in the served spec at run time (required and undeclared keys,
// types, enums, formats), as the Python tests' models do.

import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Middleware } from "openapi-fetch";

export const baseUrl = process.env.STEWARD_URL ?? "http://127.0.0.1:18282";

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the client tests through clients/run.sh`);
  return value;
}

/** A name no earlier run (or test) has used. */
export function unique(prefix: string): string {
  return `${prefix}${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** The value, which must be there: narrows `T | undefined` for the checks after it. */
export function present<T>(value: T | undefined | null, what = "value"): T {
  assert.ok(value !== undefined && value !== null, `${what} is missing`);
  return value;
}

/**
 * Scalelite's checksum: hex SHA1 of the action (the last path segment), the
 * query string as sent, and the secret, appended as `checksum`. The spec
 * declares it as an apiKey in the query, which openapi-fetch does not
 * apply, so it is an openapi-fetch middleware like any other auth.
 */
export function scaleliteChecksum(secret: string): Middleware {
  return {
    async onRequest({ request }) {
      const url = new URL(request.url);
      const action = url.pathname.split("/").pop() ?? "";
      const query = url.search.replace(/^\?/, "");
      const checksum = createHash("sha1").update(`${action}${query}${secret}`).digest("hex");
      url.search = query ? `${query}&checksum=${checksum}` : `checksum=${checksum}`;
      const body = ["GET", "HEAD"].includes(request.method) ? undefined : await request.arrayBuffer();
      return new Request(url, { method: request.method, headers: request.headers, body });
    },
  };
}

type Schema = {
  $ref?: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  maxLength?: number;
};

type Spec = { components: { schemas: Record<string, Schema> } };

const specs = new Map<string, Spec>();

function spec(surface: string): Spec {
  let loaded = specs.get(surface);
  if (!loaded) {
    const out = env("STEWARD_CLIENTS_OUT");
    loaded = JSON.parse(readFileSync(join(out, "specs", `${surface}.json`), "utf8")) as Spec;
    specs.set(surface, loaded);
  }
  return loaded;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What is wrong with `value` as an instance of `schema` (OpenAPI 3.0). */
function problems(surface: string, schema: Schema, value: unknown, path: string): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = spec(surface).components.schemas[name];
    if (!target) return [`${path}: unknown schema ${schema.$ref}`];
    return problems(surface, target, value, path);
  }
  if (value === null) return schema.nullable ? [] : [`${path} is null`];
  if (schema.oneOf) {
    const matches = schema.oneOf.filter((option) => problems(surface, option, value, path).length === 0).length;
    return matches === 1 ? [] : [`${path} matches ${matches} of its oneOf schemas: ${JSON.stringify(value)}`];
  }
  if (schema.anyOf) {
    const any = schema.anyOf.some((option) => problems(surface, option, value, path).length === 0);
    return any ? [] : [`${path} matches none of its anyOf schemas: ${JSON.stringify(value)}`];
  }
  if (schema.enum && !schema.enum.includes(value)) {
    return [`${path} is ${JSON.stringify(value)}, not one of ${schema.enum}`];
  }
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return [`${path} is not an object`];
      const record = value as Record<string, unknown>;
      const found = (schema.required ?? []).filter((key) => !(key in record)).map((key) => `${path}.${key} is missing`);
      for (const [key, item] of Object.entries(record)) {
        const declared = schema.properties?.[key];
        const extra = schema.additionalProperties;
        if (declared) found.push(...problems(surface, declared, item, `${path}.${key}`));
        else if (typeof extra === "object") found.push(...problems(surface, extra, item, `${path}[${key}]`));
        else if (extra !== true) found.push(`${path}.${key} is not declared by its schema`);
      }
      return found;
    }
    case "array":
      if (!Array.isArray(value)) return [`${path} is not an array`];
      return value.flatMap((item, index) =>
        schema.items ? problems(surface, schema.items, item, `${path}[${index}]`) : [],
      );
    case "string":
      if (typeof value !== "string") return [`${path} is not a string`];
      if (schema.format === "date-time" && Number.isNaN(Date.parse(value))) return [`${path} is not a date-time`];
      if (schema.format === "uuid" && !UUID.test(value)) return [`${path} is not a uuid`];
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return [`${path} is too long`];
      return [];
    case "integer":
      return Number.isInteger(value) ? [] : [`${path} is not an integer`];
    case "number":
      return typeof value === "number" ? [] : [`${path} is not a number`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${path} is not a boolean`];
    default:
      return [];
  }
}

/**
 * Asserts that `value` is an instance of the named schema of the surface's
 * served spec (`"Server"`, or `"Server[]"` for a list of them), and answers
 * it with the type openapi-fetch gave it.
 */
export function conforms<T>(surface: string, schema: string, value: T | undefined): NonNullable<T> {
  const list = schema.endsWith("[]");
  const ref: Schema = { $ref: `#/components/schemas/${schema.replace(/\[\]$/, "")}` };
  const found = problems(surface, list ? { type: "array", items: ref } : ref, value, "body");
  assert.deepEqual(found, [], `not a ${schema}: ${JSON.stringify(value)}`);
  return value as NonNullable<T>;
}
