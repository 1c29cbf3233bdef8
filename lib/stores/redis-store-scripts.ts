// The Lua the Redis store runs: one atomic round trip per counter operation, on one key.

/**
 * INCR and, when it opened the window, PEXPIRE: one atomic round trip, so concurrent requests on
 * several instances can neither lose a hit nor leave a counter without a window. A counter found
 * without a TTL (written by something else, or a PEXPIRE lost to a crash) gets one too, instead of
 * counting forever.
 *
 * @internal
 */
export const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
`;

/**
 * A refund: DECR unless that would reach 0, in which case the counter is deleted. A missing (or
 * expired) counter is left missing, so a refund never creates a key, let alone one without a TTL;
 * DECR keeps the window's expiry. One key, so it runs unchanged on Redis Cluster.
 *
 * @internal
 */
export const DECREMENT_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]))
if count == nil then return 0 end
if count <= 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
return redis.call('DECR', KEYS[1])
`;

/**
 * Compare-and-delete: deletes the claim only if it still holds the value the timed-out `SET`
 * wrote, so it undoes that claim and nothing else (not a claim written since by anyone else).
 *
 * @internal
 */
export const DELETE_IF_VALUE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
