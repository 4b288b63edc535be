import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PATTERN_RULES } from '../domain/scan-config.js';
import { AppError, type FieldError, problemType } from '../errors.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/tags/0` → `tags[0]`; a missing or unknown property names itself. */
function fieldOf(context: string | undefined, issue: AjvIssue): string {
  const segments = issue.instancePath.split('/').filter((segment) => segment !== '');
  const extra = issue.params['missingProperty'] ?? issue.params['additionalProperty'];
  if (typeof extra === 'string') segments.push(extra);
  const path = segments.map((segment, index) => (/^[0-9]+$/.test(segment) ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
  if (path !== '') return path;
  return context === 'body' ? 'body' : (context ?? 'request');
}

function messageOf(field: string, issue: AjvIssue): string {
  switch (issue.keyword) {
    case 'additionalProperties':
      return `${field} is not a known field`;
    case 'required':
      return `${field} is required`;
    case 'pattern': {
      const rule = PATTERN_RULES[field.split(/[.[]/)[0] ?? ''];
      return rule ? `${field} ${rule}` : `${field} has an invalid format`;
    }
    case 'format':
      return `${field} must be a ${String(issue.params['format'])}`;
    case 'enum':
      return `${field} must be one of ${(issue.params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'type':
      return `${field} must be ${describeType(String(issue.params['type']))}`;
    case 'minimum':
    case 'maximum':
      return `${field} must be ${issue.keyword === 'minimum' ? 'at least' : 'at most'} ${String(issue.params['limit'])}`;
    case 'minLength':
    case 'maxLength':
      return `${field} must be ${issue.keyword === 'minLength' ? 'at least' : 'at most'} ${String(issue.params['limit'])} characters long`;
    case 'minItems':
    case 'maxItems':
      return `${field} must have ${issue.keyword === 'minItems' ? 'at least' : 'at most'} ${String(issue.params['limit'])} entries`;
    default:
      return `${field} ${issue.message ?? 'is invalid'}`;
  }
}

function describeType(type: string): string {
  const names: Record<string, string> = { integer: 'a whole number', number: 'a number', string: 'a string', array: 'an array', object: 'an object', boolean: 'true or false', null: 'null' };
  return type.split(',').map((name) => names[name] ?? name).join(' or ');
}

const ALTERNATIVE_KEYWORDS = new Set(['const', 'enum', 'type']);

/**
 * Ajv reports a value that matches no branch of a union (`"asc" | "desc"`, or a value or
 * null) as one failure per branch and then `anyOf`. When the branches are constants or
 * enums (and perhaps null), they become one issue listing every allowed value.
 */
function mergeAlternatives(issues: AjvIssue[]): AjvIssue[] {
  const merged: AjvIssue[] = [];
  for (const issue of issues) {
    const branches = merged.filter((other) => other.instancePath === issue.instancePath && ALTERNATIVE_KEYWORDS.has(other.keyword));
    const allowed = branches.flatMap((branch) => (branch.keyword === 'const' ? [branch.params['allowedValue']] : branch.keyword === 'enum' ? (branch.params['allowedValues'] as unknown[]) : []));
    if (issue.keyword !== 'anyOf' || allowed.length === 0) {
      merged.push(issue);
      continue;
    }
    // A null branch ("or leave it unset") is not worth naming among the values.
    const others = merged.filter((other) => !branches.includes(other));
    merged.length = 0;
    merged.push(...others, { instancePath: issue.instancePath, keyword: 'enum', params: { allowedValues: allowed } });
  }
  return merged;
}

export function validationError(context: string | undefined, allIssues: AjvIssue[]): AppError {
  const issues = mergeAlternatives(allIssues);
  const errors: FieldError[] = issues.map((issue) => {
    const field = fieldOf(context, issue);
    return { field, message: messageOf(field, issue) };
  });
  const first = errors[0] ?? { field: context ?? 'request', message: 'request is invalid' };
  return new AppError('VALIDATION_FAILED', first.message, errors);
}

/** Maps what Fastify itself throws (parsing, limits, validation) onto our coded errors. */
function toAppError(error: FastifyError): AppError | null {
  if (error instanceof AppError) return error;
  if (error.validation) return validationError(error.validationContext, error.validation as AjvIssue[]);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'the request body is larger than 64 KiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('VALIDATION_FAILED', 'the request body is empty', [{ field: 'body', message: 'body is required' }]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('MALFORMED_JSON', 'the request body is not valid JSON', [{ field: 'body', message: 'body is not valid JSON' }]);
    default:
      break;
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new AppError('MALFORMED_JSON', 'the request body is not valid JSON', [{ field: 'body', message: 'body is not valid JSON' }]);
  }
  return null;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  const first = error.fieldErrors[0];
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send({
      type: problemType(error.code),
      title: error.title,
      status: error.status,
      detail: error.detail,
      instance: request.url,
      ...(first ? { field: first.field, errors: error.fieldErrors } : {}),
    });
}

/** One handler decides what users see: problem JSON always, stack traces never; 5xx logged at error. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toAppError(error);
    if (known) {
      request.log.info({ code: known.code, status: known.status, detail: known.detail }, 'request refused');
      return sendProblem(reply, request, known);
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, new AppError('INTERNAL', 'the server failed to answer this request; see its log'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new AppError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
