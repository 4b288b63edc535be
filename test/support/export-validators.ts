import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { Ajv } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

// Both are CommonJS; their default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const AjvDraft04 = AjvDraft04Module as unknown as typeof AjvDraft04Module.default;

/**
 * The validators every exported document is checked with: CycloneDX's own JSON-schema
 * validator (the schemas ship with the library), and the SPDX 2.3 and SARIF 2.1.0 JSON
 * schemas vendored in test/fixtures/exports (sources in its README) through Ajv.
 */

const schemaDir = new URL('../fixtures/exports/', import.meta.url);

function loadSchema(name: string): object {
  return JSON.parse(readFileSync(fileURLToPath(new URL(name, schemaDir)), 'utf8')) as object;
}

const spdxAjv = new Ajv({ allErrors: true, strict: false });
addFormats(spdxAjv);
const spdxValidate = spdxAjv.compile(loadSchema('spdx-schema-2.3.json'));

// SARIF's schema is written in JSON Schema draft-04, which Ajv 8 reads only through its draft-04 build.
const sarifAjv = new AjvDraft04({ allErrors: true, strict: false });
addFormats(sarifAjv);
const sarifValidate = sarifAjv.compile(loadSchema('sarif-schema-2.1.0.json'));

/** Schema errors of an SPDX 2.3 JSON document; empty when valid. */
export function spdxErrors(document: unknown): string[] {
  return spdxValidate(document) ? [] : (spdxValidate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

/** Schema errors of a SARIF 2.1.0 log; empty when valid. */
export function sarifErrors(log: unknown): string[] {
  return sarifValidate(log) ? [] : (sarifValidate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

/** CycloneDX 1.6's strict JSON schema, through the library's validator; null when valid. */
export async function cycloneDxErrors(json: string): Promise<unknown> {
  return new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json);
}
