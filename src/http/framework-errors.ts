import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, problemType } from '../errors.js';
import { sendProblem } from './problem.js';

/**
 * What Fastify and Node's HTTP parser answer on their own (a URL that does not decode, an
 * over-long path parameter, a request line or headers that do not parse), answered as
 * problem documents like everything else the server says.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = frameworkErrorOf(error);
  if (known.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: known.code, frameworkCode: error.code }, 'request refused');
  void sendProblem(reply, request, known);
}

function frameworkErrorOf(error: FastifyError): AppError {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Every id is a UUID: a parameter this long names nothing there is.
      return new AppError('NOT_FOUND', 'no resource has an id this long', [{ field: 'id', message: 'id is unknown' }]);
    case 'FST_ERR_BAD_URL':
      return new AppError('BAD_REQUEST', 'the request path is not a valid URL (malformed percent-encoding)');
    default:
      return new AppError('INTERNAL', 'the server failed to answer this request; see its log');
  }
}

/** Node's HTTP parser errors (`clientError`) that mean something other than "bad request". */
function clientErrorOf(err: NodeJS.ErrnoException): AppError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('HEADERS_TOO_LARGE', 'the request line and headers are larger than the server accepts');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return new AppError('REQUEST_TIMEOUT', 'the request did not arrive in time');
    case 'HPE_INVALID_METHOD':
      return new AppError('NOT_IMPLEMENTED', 'the request method is not one this server implements');
    default:
      return new AppError('BAD_REQUEST', 'the request is not valid HTTP/1.1');
  }
}

/**
 * Answers a request Node could not parse, on the raw socket (there is no request to
 * reply through), then closes the connection: after a framing error nothing on it can be
 * trusted.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = clientErrorOf(err);
  this.log.debug({ code: problem.code, parserCode: err.code }, 'unparsable request refused');
  answerOnSocket(socket, problem);
}

function problemBody(problem: AppError): string {
  return JSON.stringify({ type: problemType(problem.code), title: problem.title, status: problem.status, detail: problem.detail });
}

/** Writes a problem straight onto a connection, then closes it. */
function answerOnSocket(socket: Duplex, problem: AppError): void {
  if (socket.writable) {
    const body = problemBody(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * What Node's HTTP server answers by itself, below Fastify: an `Expect` it does not know
 * (an empty 417) and `CONNECT` (the connection closed without a word). Both get problems.
 */
export function answerBelowFastify(app: FastifyInstance): void {
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const problem = new AppError('EXPECTATION_FAILED', 'the server meets no Expect but 100-continue');
    const body = problemBody(problem);
    response.writeHead(problem.status, { 'content-type': 'application/problem+json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
  app.server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, new AppError('NOT_IMPLEMENTED', 'CONNECT is not a method this server implements: it is no proxy'));
  });
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without a Host field, or with more than one, is
 * refused with 400. Node keeps the first and drops the others, so the raw header list is
 * where they show; its own check of a missing Host (which answers an empty 400) is turned
 * off in FRAMEWORK_OPTIONS so that this one answers with a problem.
 */
export function refuseBadHost(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const raw = request.raw.rawHeaders;
    let hosts = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'host') hosts++;
    if (hosts > 1) return sendProblem(reply, request, new AppError('BAD_REQUEST', 'the request has more than one Host header'));
    if (hosts === 0 && request.raw.httpVersion === '1.1') return sendProblem(reply, request, new AppError('BAD_REQUEST', 'the request has no Host header'));
  });
}

/**
 * The JSON body parser, with an empty body read as no body: routes without one (DELETE,
 * scan, 405 answers) then give their own answer, and routes that need one say it is
 * missing through their schema.
 */
export function parseJsonOrNothing(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    parseJson(request, text, done);
  });
}

export const FRAMEWORK_OPTIONS = { frameworkErrors, clientErrorHandler, http: { requireHostHeader: false } } satisfies Partial<FastifyHttpOptions<Server>>;
