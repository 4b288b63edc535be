import { parseArgs } from 'node:util';
import Fastify from 'fastify';

/**
 * The ceiling the service is measured against: a bare Fastify route that answers with a
 * constant body of a given size and type, so that the difference to the service is what
 * the service does per request (database reads, rendering, hooks), not HTTP and bytes.
 * GET answers 200; POST parses the JSON body, as any JSON route must, and answers 201.
 *
 *   node reference-server.js --size 123456 --type 'application/atom+xml; charset=utf-8'
 *
 * Prints `{"url":"http://127.0.0.1:PORT"}` on stdout once it listens.
 */

const MAX_SIZE = 256 * 1024 * 1024;

interface ReferenceOptions {
  size: number;
  type: string;
}

function parseOptions(argv: string[]): ReferenceOptions {
  const { values } = parseArgs({ args: argv, options: { size: { type: 'string' }, type: { type: 'string' } }, strict: true });
  const size = Number(values.size);
  if (!/^[0-9]+$/.test(values.size ?? '') || size > MAX_SIZE) throw new Error(`--size must be a byte count up to ${MAX_SIZE}, got "${values.size}"`);
  const type = values.type ?? '';
  if (!/^[a-z]+\/[a-z0-9.+-]+(; ?charset=[a-z0-9-]+)?$/i.test(type)) throw new Error(`--type must be a media type, got "${type}"`);
  return { size, type };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // A Buffer, not a string: nothing is encoded per request, which is the true ceiling.
  const body = Buffer.alloc(options.size, 'x');
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.get('/*', async (_request, reply) => reply.type(options.type).send(body));
  app.post('/*', async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) return reply.code(400).send();
    return reply.code(201).type(options.type).send(body);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
