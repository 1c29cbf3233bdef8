import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The Express request as far as used here (`@types/express` is not installed). */
type Request = IncomingMessage & { body?: unknown; originalUrl?: string };
type ContextFunction = (args: { req: Request; res: ServerResponse }) => Promise<BaseContext>;

/**
 * A stand-in for `@as-integrations/express5`'s `expressMiddleware`, which `@nestjs/apollo` loads
 * for Express and which is not a dev dependency here. It does what that package does: hands the
 * Express request (body already parsed by Nest) to Apollo Server and writes its answer. Tests
 * mock the package with it (`jest.mock('@as-integrations/express5', …, { virtual: true })`), so
 * the rest of the path (Nest's Apollo driver, its context and error formatting) is the real one.
 */
export function expressMiddleware(
  server: ApolloServer<BaseContext>,
  options: { context?: ContextFunction } = {},
) {
  return async (
    req: Request,
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): Promise<void> => {
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const answer = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: (req.method ?? 'GET').toUpperCase(),
          headers,
          search: new URL(req.originalUrl ?? req.url ?? '/', 'http://localhost').search,
          body: req.body,
        },
        context: () => options.context?.({ req, res }) ?? Promise.resolve({}),
      });
      for (const [key, value] of answer.headers) res.setHeader(key, value);
      res.statusCode = answer.status ?? 200;
      if (answer.body.kind === 'complete') {
        res.end(answer.body.string);
        return;
      }
      for await (const chunk of answer.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      next(error);
    }
  };
}
