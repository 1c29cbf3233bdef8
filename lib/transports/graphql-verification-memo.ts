/** The parts of graphql-js's resolve info the memo reads. */
interface ResolveInfo {
  /** The operation's node: one per parsed document, which Apollo caches across requests. */
  operation?: unknown;
  /** The operation's coerced variables: a new object per execution (graphql-js). */
  variableValues?: unknown;
  /** The response path, leaf first: `{ prev, key }` with list indices as numbers. */
  path?: { prev?: unknown; key?: unknown };
  parentType?: { name?: unknown };
}

type Verifications = Map<string, Promise<unknown>>;

/**
 * Verifications by operation node, then by execution (its variables object), then by field.
 * Weak at both levels: an entry lives as long as the execution does.
 */
const memo = new WeakMap<object, WeakMap<object, Verifications>>();

/**
 * One verification per protected field of one GraphQL operation, whatever the list around it:
 * `posts { privateNote }` resolves `privateNote` once per post, and a single-use token would
 * pass the first and fail the others as `duplicate`. Calls at the same response path with list
 * indices dropped (`posts.privateNote` for every post), on the same parent type, for the same
 * provider and token, share the first call's promise.
 *
 * Never shared, so each costs an attacker a solve: aliases (`a: login`, `b: login` are two paths),
 * operations of a batch and separate requests. The operation node alone does not tell those
 * apart (Apollo Server caches parsed documents, so the same query text yields the same node in
 * every request and batch entry); its execution's variables object does (graphql-js coerces
 * the variables into a new object per execution). An info without them gets no sharing.
 *
 * @internal
 */
export function verifyOncePerOperation<T>(
  info: unknown,
  provider: string,
  token: unknown,
  verify: () => Promise<T>,
): Promise<T> {
  const { operation, variableValues, path, parentType } = (info ?? {}) as ResolveInfo;
  if (typeof token !== 'string' || !isObject(operation) || !isObject(variableValues) || !path) {
    return verify();
  }
  let executions = memo.get(operation);
  if (!executions) memo.set(operation, (executions = new WeakMap()));
  let verifications = executions.get(variableValues);
  if (!verifications) executions.set(variableValues, (verifications = new Map()));
  const key = `${String(parentType?.name)}\u0000${fieldPath(path)}\u0000${provider}\u0000${token}`;
  const shared = verifications.get(key) as Promise<T> | undefined;
  if (shared) return shared;
  const verification = verify();
  verifications.set(key, verification);
  return verification;
}

/** The response path without list indices: `posts.privateNote` for `posts[3].privateNote`. */
function fieldPath(path: ResolveInfo['path']): string {
  const keys: string[] = [];
  for (let at = path; at; at = at.prev as ResolveInfo['path']) {
    if (typeof at.key === 'string') keys.push(at.key);
  }
  return keys.reverse().join('.');
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
