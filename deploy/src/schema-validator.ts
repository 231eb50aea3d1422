import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from './kustomize.js';
import { SCHEMA_DIR, SCHEMA_FILES } from './versions.js';

interface SchemaFile {
  $id: string;
  kinds: Record<string, string>;
  definitions: Record<string, unknown>;
}

export interface ManifestProblem {
  /** apiVersion/kind/name of the manifest */
  manifest: string;
  message: string;
}

/**
 * Validates manifests against the Kubernetes API schemas and the Dapr and Azure Monitor CRD schemas in deploy/schemas
 * (see scripts/extract-schemas.ts for where they come from). A kind without a schema is a problem
 * too: nothing reaches the cluster unchecked.
 */
export class ManifestValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly byKind = new Map<string, ValidateFunction>();

  constructor() {
    for (const file of SCHEMA_FILES) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as SchemaFile;
      this.ajv.addSchema(schema);
    }
    for (const file of SCHEMA_FILES) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as SchemaFile;
      for (const [kind, definition] of Object.entries(schema.kinds)) {
        const [apiVersion, kindName] = splitKind(kind);
        this.byKind.set(
          kind,
          this.ajv.compile({
            allOf: [
              { $ref: `${schema.$id}#/definitions/${pointer(definition)}` },
              {
                type: 'object',
                required: ['apiVersion', 'kind', 'metadata'],
                properties: {
                  apiVersion: { const: apiVersion },
                  kind: { const: kindName },
                  metadata: { type: 'object', required: ['name'] },
                },
              },
            ],
          }),
        );
      }
    }
  }

  get kinds(): string[] {
    return [...this.byKind.keys()];
  }

  validate(manifest: Manifest): ManifestProblem[] {
    const id = `${String(manifest.apiVersion)}/${String(manifest.kind)}`;
    const label = `${id}/${manifest.metadata?.name ?? '(no name)'}`;
    const validate = this.byKind.get(id);
    if (!validate) return [{ manifest: label, message: `no schema for ${id}: add it to scripts/extract-schemas.ts` }];
    if (validate(manifest)) return [];
    return describe(validate.errors ?? []).map((message) => ({ manifest: label, message }));
  }

  validateAll(manifests: Manifest[]): ManifestProblem[] {
    return manifests.flatMap((m) => this.validate(m));
  }
}

/** A definition name as a JSON pointer segment (Dapr's names contain slashes). */
function pointer(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

function splitKind(kind: string): [string, string] {
  const at = kind.lastIndexOf('/');
  return [kind.slice(0, at), kind.slice(at + 1)];
}

/** One readable line per error; the anyOf/allOf wrappers that only repeat a nested error are left out. */
function describe(errors: ErrorObject[]): string[] {
  const lines = errors
    .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'allOf')
    .map((e) => {
      const where = e.instancePath || '/';
      if (e.keyword === 'additionalProperties') {
        return `${where}: unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
      }
      return `${where}: ${e.message ?? e.keyword}`;
    });
  return [...new Set(lines)];
}
