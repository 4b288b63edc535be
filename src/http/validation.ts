import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const STRICT: Options = { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, strict: false };

/**
 * Request validation. Bodies are taken exactly as sent: `"registry": 123456789012` is an
 * error, not a string. Query strings and path parameters are text by nature, so they are
 * converted to the schema's type, which lets `limit` be an integer in the schema and the
 * OpenAPI document alike.
 */
export function installValidation(app: FastifyInstance): void {
  const exact = addFormats(new Ajv(STRICT));
  const converting = addFormats(new Ajv({ ...STRICT, coerceTypes: true }));
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'querystring' || httpPart === 'params' ? converting : exact;
    return ajv.compile(schema as FastifySchema & object);
  });
}
