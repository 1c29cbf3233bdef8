import { HttpException, type Type } from '@nestjs/common';

/**
 * One entry of `failedAttempts`' `countOn`, matched against what the handler threw:
 * - a number: an HTTP status, matched against an `HttpException`'s (`UnauthorizedException` is
 *   401, in a controller and in a resolver alike);
 * - a string: an error code, matched against the error's `extensions.code` (a `GraphQLError`
 *   thrown Apollo-style, `new GraphQLError('…', { extensions: { code: 'UNAUTHENTICATED' } })`) or
 *   its `code`, and against the code Nest's Apollo driver answers an `HttpException` with (401
 *   `'UNAUTHENTICATED'`, 403 `'FORBIDDEN'`, 400 `'BAD_REQUEST'`, 422 `'BAD_USER_INPUT'`), so that
 *   what a client sees as `UNAUTHENTICATED` is counted however the resolver threw it;
 * - a class: an exception class (`instanceof`).
 *
 * @public
 */
export type FailedAttemptsMatch = number | string | Type<unknown>;

/** The codes Nest's Apollo driver gives an `HttpException` in `errors[].extensions.code`. */
const GRAPHQL_CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  422: 'BAD_USER_INPUT',
};

/**
 * Whether what a handler threw is one of `countOn`: its HTTP status, one of its codes, or its
 * class.
 *
 * @internal
 */
export function countOnMatcher(
  countOn: readonly FailedAttemptsMatch[],
): (error: unknown) => boolean {
  const statuses = countOn.filter((match): match is number => typeof match === 'number');
  const codes = countOn.filter((match): match is string => typeof match === 'string');
  const classes = countOn.filter((match): match is Type<unknown> => typeof match === 'function');
  return (error: unknown) => {
    const status = error instanceof HttpException ? error.getStatus() : undefined;
    if (status !== undefined && statuses.includes(status)) return true;
    if (codes.length > 0 && errorCodesOf(error, status).some((code) => codes.includes(code))) {
      return true;
    }
    return classes.some((type) => error instanceof type);
  };
}

/**
 * `countOn`, checked at start-up: a wrong entry would silently count nothing.
 *
 * @internal
 */
export function checkCountOn(countOn: unknown): readonly FailedAttemptsMatch[] {
  if (!Array.isArray(countOn)) {
    throw new TypeError(
      `failedAttempts: countOn must be an array of HTTP statuses, error codes or exception classes, got ${describeValue(countOn)}`,
    );
  }
  for (const match of countOn as unknown[]) {
    const valid =
      (typeof match === 'number' && Number.isInteger(match) && match >= 100 && match <= 599) ||
      (typeof match === 'string' && match.trim() !== '' && match.trim() === match) ||
      // A class: arrow functions have no prototype, and `instanceof` one would throw.
      (typeof match === 'function' &&
        typeof (match as { prototype?: unknown }).prototype === 'object');
    if (!valid) {
      throw new TypeError(
        `failedAttempts: countOn entry ${describeValue(match)} is not an HTTP status (an integer 100-599), an error code (a string such as 'UNAUTHENTICATED') or an exception class`,
      );
    }
  }
  return countOn as readonly FailedAttemptsMatch[];
}

/**
 * A value for a message: JSON where it can be, else its type.
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/**
 * The codes an error goes by: its `extensions.code` (GraphQL), its `code`, and for an
 * `HttpException` the code Nest's Apollo driver answers it with.
 */
function errorCodesOf(error: unknown, status: number | undefined): string[] {
  const codes: string[] = [];
  if (typeof error === 'object' && error !== null) {
    const { extensions, code } = error as { extensions?: { code?: unknown }; code?: unknown };
    if (typeof extensions?.code === 'string') codes.push(extensions.code);
    if (typeof code === 'string') codes.push(code);
  }
  if (status !== undefined && GRAPHQL_CODE_OF_STATUS[status]) {
    codes.push(GRAPHQL_CODE_OF_STATUS[status]);
  }
  return codes;
}
