import {
  fakeRedisClient,
  fakeStore,
  KEY_PREFIX_ACCEPTED,
  REDIS_CLIENT_ACCEPTED,
  REDIS_URL,
  REDIS_URL_ACCEPTED,
  STORE_ACCEPTED,
  refusedOptions,
  refusedVariables,
} from './config-helpers';

// The rules of one family (stores: memory, Redis, store failure mode), as one table checks them: written in code
// (options.*) and read from the environment (CAPTCHA_*).

describe('stores: memory, Redis, store failure mode', () => {
  refusedOptions([
    [
      'a store without the counter methods',
      { store: { claim: async () => true, release: async () => undefined } },
      `options.store: an object is not a CaptchaStore: it lacks increment, decrement, count, reset; accepted: ${STORE_ACCEPTED}`,
    ],
    [
      'a store whose methods are not functions',
      { store: { ...fakeStore(), claim: true } },
      `options.store: an object is not a CaptchaStore: it lacks claim; accepted: ${STORE_ACCEPTED}`,
    ],
    [
      'a store name it does not know',
      { store: 'postgres' },
      `options.store: "postgres" is not a store; accepted: ${STORE_ACCEPTED}`,
    ],
    [
      'a store name in another case',
      { store: 'Redis' },
      `options.store: "Redis" is not a store (did you mean "redis"?); accepted: ${STORE_ACCEPTED}`,
    ],
    [
      'a store that is a number',
      { store: 1 },
      `options.store: 1 is not a store; accepted: ${STORE_ACCEPTED}`,
    ],
    [
      'a store that is a function',
      { store: () => fakeStore() },
      `options.store: a function is not a store; accepted: ${STORE_ACCEPTED}`,
    ],
    [
      'the Redis store without url or client',
      { store: 'redis' },
      `options.redis.url (CAPTCHA_REDIS_URL) or options.redis.client: not set, but store "redis" (options.store) requires it; accepted: ${REDIS_URL_ACCEPTED}, or an ioredis Redis or Cluster client`,
    ],
    [
      'the Redis store with settings but no url or client',
      { store: 'redis', redis: { keyPrefix: 'app:' } },
      `options.redis.url (CAPTCHA_REDIS_URL) or options.redis.client: not set, but store "redis" (options.store) requires it; accepted: ${REDIS_URL_ACCEPTED}, or an ioredis Redis or Cluster client`,
    ],
    [
      'redis not an object',
      { store: 'redis', redis: true },
      "options.redis: true is not an object; accepted: an object of Redis store settings, e.g. { url: 'redis://cache:6379' }",
    ],
    [
      'redis.url with another scheme',
      { redis: { url: 'http://cache:6379' } },
      `options.redis.url: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
    ],
    [
      'redis.url without a host',
      { store: 'redis', redis: { url: 'redis://' } },
      `options.redis.url: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
    ],
    [
      'redis.url empty',
      { store: 'redis', redis: { url: '' } },
      `options.redis.url: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
    ],
    [
      'redis.url not a string',
      { redis: { url: 6379 } },
      `options.redis.url: the value (hidden) is not a string; accepted: ${REDIS_URL_ACCEPTED}`,
    ],
    [
      'redis.client without the commands',
      { store: 'redis', redis: { client: { get: async () => null, quit: async () => 'OK' } } },
      `options.redis.client: an object is not a Redis client: it lacks eval, set, del; accepted: ${REDIS_CLIENT_ACCEPTED}`,
    ],
    [
      'redis.client not an object',
      { store: 'redis', redis: { client: 42 } },
      `options.redis.client: 42 is not a Redis client; accepted: ${REDIS_CLIENT_ACCEPTED}`,
    ],
    [
      'redis with both url and client',
      { store: 'redis', redis: { url: 'redis://cache:6379', client: fakeRedisClient() } },
      'options.redis: an object sets both url and client; accepted: one of url (the store creates and closes its client) or client (yours, never closed by the store)',
    ],
    [
      'redis.keyPrefix empty',
      { redis: { keyPrefix: '' } },
      `options.redis.keyPrefix: "" is empty; accepted: ${KEY_PREFIX_ACCEPTED}`,
    ],
    [
      'redis.keyPrefix with a space',
      { redis: { keyPrefix: 'my app:' } },
      `options.redis.keyPrefix: "my app:" contains whitespace or control characters; accepted: ${KEY_PREFIX_ACCEPTED}`,
    ],
    [
      'redis.keyPrefix too long',
      { redis: { keyPrefix: 'p'.repeat(65) } },
      `options.redis.keyPrefix: "${'p'.repeat(65)}" is too long; accepted: ${KEY_PREFIX_ACCEPTED}`,
    ],
    [
      'redis.keyPrefix not a string',
      { redis: { keyPrefix: ['app'] } },
      `options.redis.keyPrefix: ["app"] is not a string; accepted: ${KEY_PREFIX_ACCEPTED}`,
    ],
    [
      'redis.commandTimeoutMs too small',
      { redis: { commandTimeoutMs: 9 } },
      'options.redis.commandTimeoutMs: 9 is out of range; accepted: an integer from 10 to 10000 (milliseconds)',
    ],
    [
      'redis.commandTimeoutMs too large',
      { redis: { commandTimeoutMs: 10_001 } },
      'options.redis.commandTimeoutMs: 10001 is out of range; accepted: an integer from 10 to 10000 (milliseconds)',
    ],
    [
      'redis.commandTimeoutMs a fraction',
      { redis: { commandTimeoutMs: 50.5 } },
      'options.redis.commandTimeoutMs: 50.5 is not a whole number; accepted: an integer from 10 to 10000 (milliseconds)',
    ],
    [
      'redis.commandTimeoutMs a string',
      { redis: { commandTimeoutMs: '100' } },
      'options.redis.commandTimeoutMs: "100" is not a whole number; accepted: an integer from 10 to 10000 (milliseconds)',
    ],
    [
      'memory not an object',
      { memory: 1000 },
      'options.memory: 1000 is not an object; accepted: an object of memory store settings, e.g. { maxEntries: 100000 }',
    ],
    [
      'memory.maxEntries too small',
      { memory: { maxEntries: 99 } },
      'options.memory.maxEntries: 99 is out of range; accepted: an integer from 100 to 10000000 (entries)',
    ],
    [
      'memory.maxEntries too large',
      { memory: { maxEntries: 10_000_001 } },
      'options.memory.maxEntries: 10000001 is out of range; accepted: an integer from 100 to 10000000 (entries)',
    ],
    [
      'memory.maxEntries infinite',
      { memory: { maxEntries: Infinity } },
      'options.memory.maxEntries: Infinity is not a whole number; accepted: an integer from 100 to 10000000 (entries)',
    ],
    [
      'memory.maxClaims zero',
      { memory: { maxClaims: 0 } },
      'options.memory.maxClaims: 0 is out of range; accepted: an integer from 1 to 10000000 (claims)',
    ],
    [
      'storeFailureMode unknown',
      { storeFailureMode: 'fallback' },
      'options.storeFailureMode: "fallback" is not a store failure mode; accepted: closed, open',
    ],
    [
      'storeFailureMode a boolean',
      { storeFailureMode: true },
      'options.storeFailureMode: true is not a store failure mode; accepted: closed, open',
    ],
  ]);

  refusedVariables([
    [
      'CAPTCHA_STORE unknown',
      { CAPTCHA_STORE: 'postgres' },
      'CAPTCHA_STORE: "postgres" is not a store; accepted: memory, redis',
    ],
    [
      'CAPTCHA_STORE in another case',
      { CAPTCHA_STORE: 'Redis', CAPTCHA_REDIS_URL: REDIS_URL },
      'CAPTCHA_STORE: "Redis" is not a store (did you mean "redis"?); accepted: memory, redis',
    ],
    [
      'CAPTCHA_STORE a Redis URL (hidden)',
      { CAPTCHA_STORE: REDIS_URL },
      'CAPTCHA_STORE: the value (hidden) is not a store; accepted: memory, redis',
    ],
    [
      'CAPTCHA_STORE redis without CAPTCHA_REDIS_URL',
      { CAPTCHA_STORE: 'redis' },
      `CAPTCHA_REDIS_URL: not set, but store "redis" (CAPTCHA_STORE) requires it; accepted: ${REDIS_URL_ACCEPTED}`,
    ],
    [
      'CAPTCHA_STORE redis with a blank CAPTCHA_REDIS_URL',
      { CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: '  ' },
      `CAPTCHA_REDIS_URL: is set but blank, which is not the same as unset: give it a value or remove it; accepted: ${REDIS_URL_ACCEPTED}`,
    ],
    [
      'CAPTCHA_STORE redis with a bad CAPTCHA_REDIS_URL',
      { CAPTCHA_STORE: 'redis', CAPTCHA_REDIS_URL: 'cache:6379' },
      `CAPTCHA_REDIS_URL: the value (hidden) is not a redis:// or rediss:// URL; accepted: ${REDIS_URL_ACCEPTED}`,
    ],
    [
      'CAPTCHA_REDIS_URL with another scheme',
      { CAPTCHA_REDIS_URL: 'http://localhost:6379' },
      'CAPTCHA_REDIS_URL: the value (hidden) is not a redis:// or rediss:// URL; accepted: a URL like redis://[user:password@]host:6379[/db], or rediss://… for TLS',
    ],
  ]);
});
