import { createServer, type IncomingMessage } from 'node:http';
import { listenAndAnnounce } from './listening.js';

/** What answers one operation: its variables in, the response body out. */
export type OperationHandler = (variables: Record<string, any>) => Promise<string>;

/**
 * The bare `node:http` server of the servers without GraphQL (limit, splice, cache-aside): it
 * reads the body, knows each operation by its `operationName` (as a hand-written REST endpoint
 * knows its route), answers with what its handler writes, and announces its port to the runner.
 */
export async function serveOperations(handlers: Record<string, OperationHandler>): Promise<void> {
  const server = createServer(async (request, response) => {
    try {
      const { operationName, variables } = JSON.parse(await readBody(request));
      const handler = handlers[operationName];
      if (!handler) {
        response.writeHead(400, { 'content-type': 'text/plain' }).end(`no handler for operation ${JSON.stringify(operationName)}`);
        return;
      }
      const body = await handler(variables ?? {});
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  await listenAndAnnounce(server);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
