package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.concurrent.CompletableFuture;
import org.redisson.api.BatchOptions;
import org.redisson.api.BatchOptions.ExecutionMode;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RScript.Mode;
import org.redisson.api.RScript.ReturnType;
import org.redisson.api.RScriptAsync;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.OptionalOptions;
import org.redisson.client.RedisNoScriptException;
import org.redisson.client.codec.StringCodec;

/**
 * The Redis side of a lock, as Lua scripts. A held lock is a hash at the lock's Redis key with
 * the fields {@code owner} (the holder's unique owner id), {@code token} (its fencing token) and,
 * once somebody waited for it, {@code waiters}; its TTL is the lease. The only other key is the
 * short-lived marker of an abandoned attempt, which shares the lock's hash tag: every script
 * stays in one Redis Cluster slot. The names are {@link LockKey}'s.
 *
 * <p><b>Fencing tokens</b> are the Redis server time in microseconds at acquisition
 * ({@code TIME}). Two acquisitions of one key are separated by at least a release or an expiry
 * (separate commands), so tokens of one key strictly increase as long as the server clock does
 * not step backwards, and they keep increasing across a restart without persistence or a
 * failover to a replica whose clock is within the failover time of the old master's. No
 * counter key is kept, so no Redis memory remains per key after release.
 *
 * <p><b>No resends.</b> Redisson resends a command after its response timeout or a reconnect;
 * a resent ACQUIRE that runs after the first would answer "held" for the caller's own lock, a
 * resent RELEASE would report a false expiry. So the library's scripts run with Redisson's
 * retries switched off (a failure is handled by the caller, see {@link AcquisitionLoop}), and
 * every script but RELEASE is idempotent per owner anyway: ACQUIRE by the owner that already
 * holds the lock answers with its grant and token, EXTEND sets an absolute lease, ABANDON deletes
 * the owner's lock and always leaves the owner's refusal marker (so a delivery of that owner's
 * attempt after it is refused, whatever came first), IS_HELD and INSPECT only read.
 *
 * <p><b>Minimum hold.</b> A RELEASE with a minimum hold ({@code holdAtLeast}) that comes earlier
 * than that after the acquisition, measured on the Redis clock as {@code TIME} minus the lock's
 * token (the acquisition's {@code TIME} in microseconds), does not delete the lock: it shortens
 * its expiry to the rest of the minimum hold (never beyond the expiry it has, nor beyond the
 * minimum hold itself, should the Redis clock have gone back since the acquisition, for example
 * after a failover to a replica whose clock is behind) and renames its
 * owner to {@code <owner>}{@value #RELEASED_SUFFIX}, which no acquirer uses. So the lock stays
 * taken for everyone, nothing publishes a release (waiters find it free when the rest has passed:
 * they sleep at most the holder's remaining lease), and no owner-checked script of the releasing
 * holder (a late watchdog renewal, an extend, an is-held check) matches it any more. Still one
 * script, one round trip.
 *
 * <p><b>Replica acknowledgements.</b> With {@code distributedmutex.replica-acks}, ACQUIRE is sent as without
 * the policy (asked to by ARGV[4], a grant also reports how many replicas its master has connected, from
 * {@code INFO replication}), and only a grant is followed by a second round trip,
 * {@link #acknowledge}: one Redisson batch, on one connection to the key's node, of the BARRIER script (an
 * owner-checked write to the lock, after the grant on that node) and {@code WAIT}. {@code WAIT} counts the writes
 * of its own connection, and replication offsets are global per master, so replicas that acknowledged the barrier
 * have the grant too. On a Cluster the batch also carries NODE, a script without keys that names the node the
 * connection (and so the {@code WAIT}) is on: when the client's slot map is stale, Redisson follows the BARRIER's
 * {@code MOVED} to the new master but keeps the {@code WAIT} reply of the old one, and NODE then differs from the
 * node the BARRIER reports. {@link ReplicaAcknowledgements} judges the answer.
 *
 * <p><b>Fair hand-off</b> ({@code distributedmutex.fairness} fifo or hybrid; docs/design.md "Fair hand-off"): one
 * key's attempts, releases and give-ups run ACQUIRE_FAIR, RELEASE_FAIR, LEAVE and ABANDON_FAIR instead, which keep
 * the waiters in two sorted sets in the lock's slot ({@link LockKey#queue()}, {@link LockKey#queueExpiry()}): a
 * waiter's attempts enqueue it and renew its entry ({@link #ENTRY_TTL_MILLIS}), a release grants the lock to the
 * head durably (the {@code granted} field, a pick-up TTL of {@link #PICKUP_MILLIS}, a targeted
 * {@code "<key>\n<owner>"} message), and the head's next attempt discovers it and starts its full lease. The owner
 * checks that give mutual exclusion are the same as without a queue. Sets of keys use the scripts above.
 */
final class RedisLockStore {

    /** Appended to the owner of a lock released before its minimum hold ended, so it matches no owner any more. */
    static final String RELEASED_SUFFIX = "~released";

    /**
     * The functions of ACQUIRE and ACQUIRE_ALL: {@code replicas()}, the connected replicas when ARGV[4] asks for
     * them ({@code INFO replication}), else nil; {@code heldMillis(key)}, how long ago the lock's holder was granted
     * it, on the Redis clock ({@code TIME} minus its token), -1 without a token.
     */
    private static final String ACQUIRE_FUNCTIONS = """
            local function replicas()
              if ARGV[4] == '1' then
                local info = redis.call('info', 'replication')
                return tonumber(string.match(info, 'connected_slaves:(%d+)') or '0')
              end
              return nil
            end
            local function heldMillis(key)
              local token = tonumber(redis.call('hget', key, 'token') or '')
              if not token then
                return -1
              end
              local now = redis.call('time')
              return math.floor((tonumber(now[1]) * 1000000 + tonumber(now[2]) - token) / 1000)
            end
            """;

    private static final String ACQUIRE = "redis.replicate_commands()\n" + ACQUIRE_FUNCTIONS + """
            if redis.call('exists', KEYS[2]) == 1 then
              return {0, -3}
            end
            local holder = redis.call('hget', KEYS[1], 'owner')
            if holder == ARGV[1] then
              return {1, redis.call('hget', KEYS[1], 'token'), replicas()}
            end
            if holder == false then
              local connected = replicas()
              local now = redis.call('time')
              local token = now[1] .. string.format('%06d', tonumber(now[2]))
              redis.call('hset', KEYS[1], 'owner', ARGV[1], 'token', token)
              if ARGV[3] == '1' then
                redis.call('hset', KEYS[1], 'waiters', '1')
              end
              redis.call('pexpire', KEYS[1], ARGV[2])
              return {1, token, connected}
            end
            if ARGV[3] == '1' then
              redis.call('hset', KEYS[1], 'waiters', '1')
            end
            return {0, redis.call('pttl', KEYS[1]), holder, heldMillis(KEYS[1])}
            """;

    /**
     * ACQUIRE for several keys on one node (one Cluster slot, or any keys on a server that is not a cluster):
     * KEYS are the n locks, then their n abandoned-attempt markers of this owner. All or none: when any lock
     * is held by somebody else, nothing is written but the waiters flag of that lock, and the refusal names
     * it (its 1-based position last). A grant gives every lock the same owner, the same token (one
     * {@code TIME}) and the same lease, exactly as n single grants at one instant would. Idempotent per
     * owner like ACQUIRE. With ARGV[5] {@code '1'} (fair hand-off), a waiting set that is refused also leaves its
     * claim on the lock that refused it ({@code setwaiter}, {@code setwaitms}): the fair scripts free that lock for
     * the set at its next release instead of handing it to the queue (see FAIR_FUNCTIONS' {@code free}).
     */
    private static final String ACQUIRE_ALL = "redis.replicate_commands()\n" + ACQUIRE_FUNCTIONS + """
            local n = #KEYS / 2
            for i = 1, n do
              if redis.call('exists', KEYS[n + i]) == 1 then
                return {0, -3}
              end
            end
            local mine = 0
            for i = 1, n do
              local holder = redis.call('hget', KEYS[i], 'owner')
              if holder == ARGV[1] then
                mine = mine + 1
              elseif holder then
                if ARGV[3] == '1' then
                  redis.call('hset', KEYS[i], 'waiters', '1')
                  if ARGV[5] == '1' then
                    local t = redis.call('time')
                    redis.call('hset', KEYS[i], 'setwaiter', ARGV[1], 'setwaitms',
                        string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
                  end
                end
                return {0, redis.call('pttl', KEYS[i]), holder, heldMillis(KEYS[i]), i}
              end
            end
            if mine == n then
              return {1, redis.call('hget', KEYS[1], 'token'), replicas()}
            end
            local connected = replicas()
            local now = redis.call('time')
            local token = now[1] .. string.format('%06d', tonumber(now[2]))
            for i = 1, n do
              redis.call('hset', KEYS[i], 'owner', ARGV[1], 'token', token)
              if ARGV[3] == '1' then
                redis.call('hset', KEYS[i], 'waiters', '1')
              end
              redis.call('pexpire', KEYS[i], ARGV[2])
            end
            return {1, token, connected}
            """;

    /**
     * The functions of the fair scripts (see the class comment). The script declares, before them, the locals
     * {@code K}, {@code Q}, {@code X} (the lock, its queue by arrival, its queue by deadline), {@code MODE}
     * ({@code '1'} fifo, {@code '2'} hybrid), {@code THRESHOLD} (µs), {@code PICKUP} (ms), {@code FRESH} (ms) and
     * {@code CHANNEL}. {@code nowUs}/{@code nowMs}: one {@code TIME}. {@code prune()} drops entries whose deadline
     * passed (O(log N + dead)); {@code head()} is the first <em>fresh</em> entry (renewed so recently that its
     * deadline is at least {@code FRESH} ahead: its waiter is alive) among the first {@value #HEAD_SCAN} and its
     * arrival, else (a crowd of dead waiters ahead) the earliest arrival among up to {@value #FRESH_SCAN} fresh entries,
     * else the first live one, so a dead waiter is granted the lock only in the short time after its last renewal;
     * {@code touch()} gives both queue keys the TTL of their newest deadline (so no key of the queue outlives its last
     * live waiter); {@code dequeue(member)} takes an entry out of both sets; {@code grant(member, prev)} hands the free
     * lock to a queued member durably, with a fresh token above {@code prev}, the {@code granted} flag and
     * the pick-up TTL, and wakes exactly that owner; {@code handOn(prev)}, after the lock was freed, grants it to the
     * head (fifo, or hybrid with a head that waited at least the threshold) or only wakes the head to compete
     * (hybrid, younger head), and answers the owner it granted or woke and whether it granted; {@code free()} deletes
     * the lock and hands it on, unless a set of keys waits for it (its claim, left by ACQUIRE_ALL, no older than
     * {@code FRESH}): then the lock stays free and the set and the queue's head are woken to compete for it, so a set
     * is not starved by the queue of its single keys, and the key does not idle when the set is refused by another.
     */
    private static final String FAIR_FUNCTIONS = "local HEAD_SCAN = " + RedisLockStore.HEAD_SCAN
            + "\nlocal FRESH_SCAN = " + RedisLockStore.FRESH_SCAN + "\n" + """
            local now = redis.call('time')
            local nowUs = tonumber(now[1]) * 1000000 + tonumber(now[2])
            local nowMs = math.floor(nowUs / 1000)
            local function prune()
              local dead = redis.call('zrangebyscore', X, '-inf', nowMs)
              for _, m in ipairs(dead) do
                redis.call('zrem', Q, m)
              end
              if #dead > 0 then
                redis.call('zremrangebyscore', X, '-inf', nowMs)
              end
            end
            local function head()
              local entries = redis.call('zrange', Q, 0, HEAD_SCAN - 1, 'WITHSCORES')
              local first, firstArrival = nil, nil
              for i = 1, #entries, 2 do
                local deadline = redis.call('zscore', X, entries[i])
                if not deadline then
                  redis.call('zrem', Q, entries[i])
                else
                  if tonumber(deadline) - nowMs >= FRESH then
                    return entries[i], tonumber(entries[i + 1])
                  end
                  if not first then
                    first, firstArrival = entries[i], tonumber(entries[i + 1])
                  end
                end
              end
              if #entries < HEAD_SCAN * 2 then
                return first, firstArrival
              end
              local fresh = redis.call('zrangebyscore', X, nowMs + FRESH, '+inf', 'LIMIT', 0, FRESH_SCAN)
              local best, bestArrival = nil, nil
              for _, m in ipairs(fresh) do
                local arrival = tonumber(redis.call('zscore', Q, m))
                if arrival and (not bestArrival or arrival < bestArrival) then
                  best, bestArrival = m, arrival
                end
              end
              if best then
                return best, bestArrival
              end
              return first, firstArrival
            end
            local function touch()
              local last = redis.call('zrange', X, -1, -1, 'WITHSCORES')
              if #last > 0 then
                local ms = math.max(1, tonumber(last[2]) - nowMs + 1)
                redis.call('pexpire', Q, ms)
                redis.call('pexpire', X, ms)
              end
            end
            local function dequeue(member)
              redis.call('zrem', Q, member)
              redis.call('zrem', X, member)
            end
            local function grant(member, prev)
              local owner = string.match(member, '^%d+:(.*)$')
              local token = nowUs
              if prev and prev >= token then
                token = prev + 1
              end
              redis.call('hset', K, 'owner', owner, 'token', string.format('%.0f', token), 'granted', '1', 'waiters', '1')
              redis.call('pexpire', K, PICKUP)
              dequeue(member)
              redis.call('publish', CHANNEL, K .. '\\n' .. owner)
              return owner
            end
            local function handOn(prev)
              if redis.call('exists', Q) == 0 then
                return nil, false
              end
              prune()
              local h, arrival = head()
              if not h then
                return nil, false
              end
              if MODE == '1' or nowUs - arrival >= THRESHOLD then
                local owner = grant(h, prev)
                touch()
                return owner, true
              end
              local owner = string.match(h, '^%d+:(.*)$')
              redis.call('publish', CHANNEL, K .. '\\n' .. owner)
              touch()
              return owner, false
            end
            local function free()
              local fields = redis.call('hmget', K, 'token', 'setwaiter', 'setwaitms')
              redis.call('del', K)
              if fields[2] and nowMs - tonumber(fields[3]) <= FRESH then
                redis.call('publish', CHANNEL, K .. '\\n' .. fields[2])
                local also = nil
                if redis.call('exists', Q) == 1 then
                  prune()
                  local h = head()
                  if h then
                    also = string.match(h, '^%d+:(.*)$')
                    redis.call('publish', CHANNEL, K .. '\\n' .. also)
                  end
                end
                return fields[2], false, also
              end
              return handOn(tonumber(fields[1]))
            end
            """;

    /**
     * ACQUIRE with a waiter queue (fifo, hybrid): KEYS lock, marker, queue, queue expiry; ARGV owner, lease, queue
     * ({@code '1'}: enqueue or renew the caller's entry when refused), count replicas, mode, threshold µs, entry TTL
     * ms, pick-up ms, channel, fresh ms. Answers as ACQUIRE. An owner that finds the lock granted to it (a hand-off)
     * discovers it: the {@code granted} flag goes, the lock gets its token (above the grant's) and the lease is set in
     * full, from this attempt.
     */
    private static final String ACQUIRE_FAIR = "redis.replicate_commands()\n" + """
            local K, Q, X = KEYS[1], KEYS[3], KEYS[4]
            local MODE, THRESHOLD, PICKUP, CHANNEL = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[8]), ARGV[9]
            local FRESH = tonumber(ARGV[10])
            """ + ACQUIRE_FUNCTIONS + FAIR_FUNCTIONS + """
            if redis.call('exists', KEYS[2]) == 1 then
              return {0, -3}
            end
            local owner = ARGV[1]
            local member = ARGV[2] .. ':' .. owner
            local holder = redis.call('hget', K, 'owner')
            if holder == owner then
              local connected = replicas()
              if redis.call('hget', K, 'granted') then
                local token = tonumber(redis.call('hget', K, 'token'))
                if token < nowUs then
                  token = nowUs
                else
                  token = token + 1
                end
                redis.call('hset', K, 'token', string.format('%.0f', token))
                redis.call('hdel', K, 'granted')
                redis.call('pexpire', K, ARGV[2])
              end
              return {1, redis.call('hget', K, 'token'), connected}
            end
            local queued = redis.call('exists', Q) == 1
            if queued then
              prune()
              if ARGV[3] == '1' then
                redis.call('zadd', X, 'XX', string.format('%.0f', nowMs + tonumber(ARGV[7])), member)
              end
            end
            if holder == false then
              local h, arrival = nil, nil
              if queued then
                h, arrival = head()
              end
              if h == nil or h == member or (MODE == '2' and nowUs - arrival < THRESHOLD) then
                local connected = replicas()
                local token = string.format('%.0f', nowUs)
                redis.call('hset', K, 'owner', owner, 'token', token)
                if h or ARGV[3] == '1' then
                  redis.call('hset', K, 'waiters', '1')
                end
                redis.call('pexpire', K, ARGV[2])
                if h then
                  dequeue(member)
                  touch()
                end
                return {1, token, connected}
              end
              holder = grant(h, nil)
            end
            if ARGV[3] == '1' then
              redis.call('zadd', Q, 'NX', string.format('%.0f', nowUs), member)
              redis.call('zadd', X, string.format('%.0f', nowMs + tonumber(ARGV[7])), member)
              redis.call('hset', K, 'waiters', '1')
              touch()
            end
            return {0, redis.call('pttl', K), holder, heldMillis(K)}
            """;

    /**
     * RELEASE with a waiter queue: KEYS lock, queue, queue expiry; ARGV owner, channel, minimum hold ms, released
     * suffix, mode, threshold µs, pick-up ms, fresh ms. The owner checks and the minimum hold are RELEASE's (a rest kept for the
     * minimum hold is not handed on: waiters find it free when it ends); a deleted lock is handed on
     * ({@code free}). Answers {@code {code, owner[, head]}}: 0 expired, -1 taken by another, 2 kept for the minimum hold, 1
     * released with no queue, 3 released and granted to {@code owner}, 4 released and {@code owner} (the head of a
     * hybrid queue, or a waiting set, with the queue's head as a third value) woken to compete.
     */
    private static final String RELEASE_FAIR = "redis.replicate_commands()\n" + """
            local K, Q, X = KEYS[1], KEYS[2], KEYS[3]
            local MODE, THRESHOLD, PICKUP, CHANNEL = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[2]
            local FRESH = tonumber(ARGV[8])
            """ + FAIR_FUNCTIONS + """
            local owner = redis.call('hget', K, 'owner')
            if owner == false then
              return {0, ''}
            end
            if owner ~= ARGV[1] then
              return {-1, ''}
            end
            local holdMillis = tonumber(ARGV[3])
            if holdMillis > 0 then
              local heldMicros = nowUs - tonumber(redis.call('hget', K, 'token'))
              local rest = math.ceil((holdMillis * 1000 - heldMicros) / 1000)
              if rest > holdMillis then
                rest = holdMillis
              end
              local ttl = redis.call('pttl', K)
              if ttl > 0 and rest > ttl then
                rest = ttl
              end
              if rest > 0 then
                redis.call('hset', K, 'owner', ARGV[1] .. ARGV[4])
                redis.call('pexpire', K, rest)
                return {2, ''}
              end
            end
            local waiters = redis.call('hget', K, 'waiters')
            local woken, granted, also = free()
            if woken then
              return {granted and 3 or 4, woken, also or ''}
            end
            if waiters then
              redis.call('publish', CHANNEL, K)
            end
            return {1, ''}
            """;

    /**
     * A queued waiter gives up with every attempt answered (its wait ended, it was cancelled, the adapter closed):
     * KEYS lock, queue, queue expiry; ARGV owner, lease, channel, mode, threshold µs, pick-up ms, fresh ms. Removes its
     * entry;
     * a hand-off it has not discovered yet (the lock is its, with the {@code granted} flag) is given back and handed
     * on. Answers {@code {given back (1/0), owner granted or woken or '', queue head also woken or ''}}.
     */
    private static final String LEAVE = "redis.replicate_commands()\n" + """
            local K, Q, X = KEYS[1], KEYS[2], KEYS[3]
            local MODE, THRESHOLD, PICKUP, CHANNEL = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[3]
            local FRESH = tonumber(ARGV[7])
            """ + FAIR_FUNCTIONS + """
            dequeue(ARGV[2] .. ':' .. ARGV[1])
            if redis.call('hget', K, 'owner') == ARGV[1] and redis.call('hget', K, 'granted') then
              local woken, granted, also = free()
              return {1, woken or '', also or ''}
            end
            if redis.call('exists', Q) == 1 then
              touch()
            end
            return {0, ''}
            """;

    /**
     * ABANDON with a waiter queue: KEYS lock, marker, queue, queue expiry; ARGV owner, marker ms, channel, lease,
     * mode, threshold µs, pick-up ms, fresh ms. ABANDON's semantics, plus: the owner's entry leaves the queue, and a lock it
     * deleted is handed on. Answers {@code {deleted (1/0), owner granted or woken or '', queue head also woken or ''}}.
     */
    private static final String ABANDON_FAIR = "redis.replicate_commands()\n" + """
            local K, Q, X = KEYS[1], KEYS[3], KEYS[4]
            local MODE, THRESHOLD, PICKUP, CHANNEL = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[3]
            local FRESH = tonumber(ARGV[8])
            """ + FAIR_FUNCTIONS + """
            dequeue(ARGV[4] .. ':' .. ARGV[1])
            local deleted = 0
            local woken, granted, also = nil, false, nil
            if redis.call('hget', K, 'owner') == ARGV[1] then
              local waiters = redis.call('hget', K, 'waiters')
              deleted = 1
              woken, granted, also = free()
              if not woken and waiters then
                redis.call('publish', CHANNEL, K)
              end
            elseif redis.call('exists', Q) == 1 then
              touch()
            end
            redis.call('set', KEYS[2], '1', 'PX', ARGV[2])
            return {deleted, woken or '', also or ''}
            """;

    /** ABANDON for several keys on one node: KEYS as for ACQUIRE_ALL. */
    private static final String ABANDON_ALL = """
            local n = #KEYS / 2
            local deleted = 0
            for i = 1, n do
              if redis.call('hget', KEYS[i], 'owner') == ARGV[1] then
                local waiters = redis.call('hget', KEYS[i], 'waiters')
                redis.call('del', KEYS[i])
                if waiters then
                  redis.call('publish', ARGV[3], KEYS[i])
                end
                deleted = 1
              end
              redis.call('set', KEYS[n + i], '1', 'PX', ARGV[2])
            end
            return deleted
            """;

    /**
     * After a grant: KEYS are the locks it granted (one node's). An owner-checked write to the first (the owner field
     * set to itself, a write that changes nothing but is replicated), so that a {@code WAIT} on this connection covers
     * the grant; answers {@code {held (by the owner, every key), connected replicas or -1, node or ''}}. ARGV[2]: report the connected replicas; ARGV[3]: report the node.
     */
    private static final String BARRIER = """
            redis.replicate_commands()
            for i = 1, #KEYS do
              if redis.call('hget', KEYS[i], 'owner') ~= ARGV[1] then
                return {0, -1, ''}
              end
            end
            redis.call('hset', KEYS[1], 'owner', ARGV[1])
            local connected = -1
            local node = ''
            if ARGV[2] == '1' or ARGV[3] == '1' then
              local info = redis.call('info', 'replication')
              if ARGV[2] == '1' then
                connected = tonumber(string.match(info, 'connected_slaves:(%d+)') or '0')
              end
              if ARGV[3] == '1' then
                node = (string.match(info, 'role:(%w+)') or '?') .. ':' .. (string.match(info, 'master_replid:(%w+)') or '?')
              end
            end
            return {1, connected, node}
            """;

    /**
     * Names the node it runs on, by its role and replication id (a master's own, new at every promotion); declares
     * no keys, so a Cluster node runs it whatever slots it serves, on the connection it was sent on.
     */
    private static final String NODE = """
            local info = redis.call('info', 'replication')
            return (string.match(info, 'role:(%w+)') or '?') .. ':' .. (string.match(info, 'master_replid:(%w+)') or '?')
            """;

    private static final String EXTEND = """
            if redis.call('hget', KEYS[1], 'owner') == ARGV[1] then
              redis.call('pexpire', KEYS[1], ARGV[2])
              return 1
            end
            return 0
            """;

    private static final String RELEASE = """
            redis.replicate_commands()
            local owner = redis.call('hget', KEYS[1], 'owner')
            if owner == false then
              return 0
            end
            if owner ~= ARGV[1] then
              return -1
            end
            local holdMillis = tonumber(ARGV[3])
            if holdMillis > 0 then
              local now = redis.call('time')
              local heldMicros = tonumber(now[1]) * 1000000 + tonumber(now[2]) - tonumber(redis.call('hget', KEYS[1], 'token'))
              local rest = math.ceil((holdMillis * 1000 - heldMicros) / 1000)
              if rest > holdMillis then
                rest = holdMillis
              end
              local ttl = redis.call('pttl', KEYS[1])
              if ttl > 0 and rest > ttl then
                rest = ttl
              end
              if rest > 0 then
                redis.call('hset', KEYS[1], 'owner', ARGV[1] .. ARGV[4])
                redis.call('pexpire', KEYS[1], rest)
                return 2
              end
            end
            local waiters = redis.call('hget', KEYS[1], 'waiters')
            redis.call('del', KEYS[1])
            if waiters then
              redis.call('publish', ARGV[2], KEYS[1])
            end
            return 1
            """;

    private static final String ABANDON = """
            local owner = redis.call('hget', KEYS[1], 'owner')
            local deleted = 0
            if owner == ARGV[1] then
              local waiters = redis.call('hget', KEYS[1], 'waiters')
              redis.call('del', KEYS[1])
              if waiters then
                redis.call('publish', ARGV[3], KEYS[1])
              end
              deleted = 1
            end
            redis.call('set', KEYS[2], '1', 'PX', ARGV[2])
            return deleted
            """;

    private static final String IS_HELD = """
            if redis.call('hget', KEYS[1], 'owner') == ARGV[1] then
              return 1
            end
            return 0
            """;

    /**
     * Reads a lock without changing it: its owner, token and remaining time to live in one
     * atomic step; an empty list when the key does not exist.
     */
    private static final String INSPECT = """
            local fields = redis.call('hmget', KEYS[1], 'owner', 'token')
            if not fields[1] then
              return {}
            end
            return {fields[1], fields[2] or '0', redis.call('pttl', KEYS[1])}
            """;

    /**
     * What {@link #inspect} read.
     *
     * @param owner         the owner field, {@value #RELEASED_SUFFIX} included when there is one
     * @param token         the fencing token
     * @param remainingMillis the key's remaining time to live ({@code -1}: no expiry)
     */
    record Snapshot(String owner, long token, long remainingMillis) {

        /** @return whether the holder released the lock before its minimum hold ended */
        boolean releasedEarly() {
            return owner.endsWith(RELEASED_SUFFIX);
        }

        /** @return the holder's owner id, without {@value #RELEASED_SUFFIX} */
        String holder() {
            return releasedEarly() ? owner.substring(0, owner.length() - RELEASED_SUFFIX.length()) : owner;
        }
    }

    /**
     * Outcome of one acquisition attempt.
     *
     * @param token                 the grant's fencing token (0 when refused)
     * @param holderRemainingMillis when refused: the holder's remaining lease ({@code PTTL}), negative when unknown
     * @param connectedReplicas     how many replicas the granting master had connected at the grant, -1 when not asked
     * @param holder                when refused: who holds the lock, read in the same script; null when unknown
     *                              (the refusal came from an abandoned attempt's marker)
     * @param blocked               when refused: the position, in the keys of the attempt, of the key that was
     *                              held (0 for a single key)
     */
    record Attempt(boolean acquired, long token, long holderRemainingMillis, int connectedReplicas, Holder holder,
                   int blocked) {

        /** An attempt whose refusal, if it was one, did not say who holds the lock. */
        Attempt(boolean acquired, long token, long holderRemainingMillis, int connectedReplicas) {
            this(acquired, token, holderRemainingMillis, connectedReplicas, null, 0);
        }

        /**
         * Reads a script's answer: {@code {1, token[, connected replicas]}} for a grant,
         * {@code {0, pttl[, owner, held ms[, blocked position (1-based)]]}} for a refusal.
         */
        static Attempt parse(List<Object> values) {
            if (asLong(values.get(0)) == 1) {
                int connected = values.size() > 2 ? (int) asLong(values.get(2)) : -1;
                return new Attempt(true, asLong(values.get(1)), 0, connected, null, 0);
            }
            long remaining = asLong(values.get(1));
            Holder holder = values.size() > 3
                    ? new Holder(String.valueOf(values.get(2)), asLong(values.get(3)), remaining) : null;
            int blocked = values.size() > 4 ? (int) asLong(values.get(4)) - 1 : 0;
            return new Attempt(false, 0, remaining, -1, holder, blocked);
        }
    }

    /**
     * Who held a lock when an attempt was refused, as the refusing script read it on the Redis server.
     *
     * @param owner           the lock's owner field, {@value #RELEASED_SUFFIX} included when there is one
     * @param heldMillis      how long ago the holder was granted the lock, on the Redis clock ({@code TIME}
     *                        minus the fencing token); -1 when the lock has no token
     * @param remainingMillis the lock's remaining time to live ({@code PTTL})
     */
    record Holder(String owner, long heldMillis, long remainingMillis) {

        /** @return whether the holder already released the lock, which stays taken until its minimum hold ends */
        boolean releasedEarly() {
            return owner.endsWith(RELEASED_SUFFIX);
        }

        /** @return the holder's owner id, without {@value #RELEASED_SUFFIX} */
        String ownerId() {
            return releasedEarly() ? owner.substring(0, owner.length() - RELEASED_SUFFIX.length()) : owner;
        }
    }

    /**
     * What the step after a grant found ({@link #acknowledge}).
     *
     * @param held              whether the lock was still the owner's on the node the barrier ran on
     * @param acknowledged      how many replicas acknowledged the barrier ({@code WAIT}'s answer)
     * @param connectedReplicas how many replicas the barrier's node had connected, -1 when not asked (asked for
     *                          {@code all}, and always on a Cluster)
     * @param barrierNode       the node the barrier ran on ({@code role:replid}); empty when not asked (not a
     *                          Cluster: the batch cannot be split between nodes there)
     * @param waitNode          the node the {@code WAIT} ran on; empty when not asked
     */
    record Acknowledgement(boolean held, int acknowledged, int connectedReplicas, String barrierNode,
                           String waitNode) {

        /**
         * @return whether the {@code WAIT} ran where the barrier did: the same master, or no node asked for (one
         *         connection, no redirects)
         */
        boolean sameNode() {
            return barrierNode.equals(waitNode) && (barrierNode.isEmpty() || barrierNode.startsWith("master:"));
        }
    }

    /** Outcome of a release. */
    enum Release {
        /** The lock was ours and is deleted; no waiter was queued for it in Redis. */
        RELEASED,
        /**
         * The lock was ours and is deleted, and the releasing script handed it to the longest waiter queued in Redis,
         * or woke that waiter to compete for it (fair hand-off); that waiter is woken, no other.
         */
        RELEASED_TO_QUEUE,
        /** The lock was ours and stays taken, by nobody, until its minimum hold ends. */
        RELEASED_HELD,
        /** The lock no longer existed: the lease had expired. */
        EXPIRED,
        /** Another owner holds the lock now: the lease had expired and the lock was taken again. */
        TAKEN_BY_OTHER
    }

    /** How long a queued waiter's entry lives without being renewed by one of its attempts. */
    static final long ENTRY_TTL_MILLIS = 3_000;
    /**
     * How long a hand-off waits for its grantee to pick it up, whatever the grantee's lease (which starts at the
     * pick-up): longer than a queued waiter's longest sleep ({@link AcquisitionLoop#QUEUED_SLEEP_MILLIS}), so a lost
     * wake-up only delays the pick-up to the waiter's next attempt.
     */
    static final long PICKUP_MILLIS = 2_000;
    /** How many entries from the head of a queue are looked at for one whose waiter is alive. */
    static final int HEAD_SCAN = 16;
    /**
     * When none of the first {@link #HEAD_SCAN} entries is fresh: how many fresh entries (by deadline) are looked at
     * for the one that arrived first.
     */
    static final int FRESH_SCAN = 64;

    private final RedissonClient client;
    private final RScript script;
    private final String releaseChannel;
    private final Fairness fairness;
    private final long entryTtlMillis;
    private final long pickupMillis;
    /** Told (Redis key, owner) whenever a fair script of this store granted a lock to, or woke, a queued owner. */
    private final BiConsumer<String, String> queueWoken;
    /** Whether the client talks to a Redis Cluster, where a batch's commands can be redirected to another node. */
    private final boolean cluster;

    /**
     * @param client         the Redisson client
     * @param releaseChannel the pub/sub channel a contended release is announced on
     */
    RedisLockStore(RedissonClient client, String releaseChannel) {
        this(client, releaseChannel, Fairness.BARGING, (key, owner) -> { });
    }

    /**
     * @param fairness   how a contended lock passes between processes
     * @param queueWoken told (Redis key, owner) when a script of this store granted a lock to a queued owner or woke
     *                   it to compete, so that a waiter of this process is woken without the notification's round
     *                   trip; must not block
     */
    RedisLockStore(RedissonClient client, String releaseChannel, Fairness fairness,
                   BiConsumer<String, String> queueWoken) {
        this(client, releaseChannel, fairness, queueWoken, ENTRY_TTL_MILLIS, PICKUP_MILLIS);
    }

    /** With other queue timings, for tests. */
    RedisLockStore(RedissonClient client, String releaseChannel, Fairness fairness,
                   BiConsumer<String, String> queueWoken, long entryTtlMillis, long pickupMillis) {
        this.client = client;
        this.script = client.getScript(OptionalOptions.defaults().codec(StringCodec.INSTANCE).retryAttempts(0));
        this.releaseChannel = releaseChannel;
        this.cluster = client.getConfig().isClusterConfig();
        this.fairness = fairness;
        this.queueWoken = queueWoken;
        this.entryTtlMillis = entryTtlMillis;
        this.pickupMillis = pickupMillis;
    }

    /**
     * @param keys the keys of one attempt
     * @return whether an attempt on {@code keys} queues in Redis: a single key, with fifo or hybrid fairness (a set
     *         of keys is taken all at once when every key is free, and does not queue)
     */
    boolean queues(List<LockKey> keys) {
        return fairness.queued() && keys.size() == 1;
    }

    /**
     * How far ahead a queue entry's deadline must be for its waiter to count as alive when the lock is handed on:
     * half the entry TTL, so a waiter that renews at least every {@link AcquisitionLoop#QUEUED_SLEEP_MILLIS} (plus
     * a round trip) always counts, and one that died stops counting half an entry TTL after its last renewal.
     */
    private long freshMillis() {
        return entryTtlMillis / 2;
    }

    private String modeArgument() {
        return fairness.mode() == Fairness.Mode.FIFO ? "1" : "2";
    }

    /**
     * @return whether the client talks to a Redis Cluster, where one script can only touch keys of one hash
     *         slot; otherwise one master has every key, and one script can take any set of locks
     */
    boolean isCluster() {
        return cluster;
    }

    /**
     * One attempt to take the lock: one script call.
     *
     * @param key          the lock
     * @param owner        the owner id of the would-be holder
     * @param leaseMillis  the lease
     * @param markWaiting  whether the caller is a waiter: flags the lock (the current holder's, or the
     *                     caller's own when it gets it) so its release is announced; other waiters
     *                     in the caller's process may still be queued behind it. With fair hand-off it also
     *                     enqueues the caller in Redis when refused, or renews its entry
     */
    CompletableFuture<Attempt> tryAcquire(LockKey key, String owner, long leaseMillis, boolean markWaiting) {
        return tryAcquire(List.of(key), owner, leaseMillis, markWaiting, false);
    }

    /**
     * One attempt to take every lock of {@code keys}, all or none, in one script: ACQUIRE for one key,
     * ACQUIRE_ALL for more. The keys must be on one node: one Cluster slot, or any keys when the server is not a
     * cluster.
     *
     * @param countReplicas whether a grant also reports how many replicas the granting master has connected
     *                      ({@code INFO replication} inside the script, before it writes anything)
     * @see #tryAcquire(LockKey, String, long, boolean)
     */
    CompletableFuture<Attempt> tryAcquire(List<LockKey> keys, String owner, long leaseMillis, boolean markWaiting,
                                          boolean countReplicas) {
        CompletableFuture<List<Object>> reply;
        if (queues(keys)) {
            LockKey key = keys.get(0);
            reply = eval(List.of(key.redisKey(), key.abandonedMarker(owner), key.queue(), key.queueExpiry()),
                    ACQUIRE_FAIR, ReturnType.LIST, owner, Long.toString(leaseMillis), markWaiting ? "1" : "0",
                    countReplicas ? "1" : "0", modeArgument(), Long.toString(fairness.thresholdMicros()),
                    Long.toString(entryTtlMillis), Long.toString(pickupMillis), releaseChannel,
                    Long.toString(freshMillis()));
        } else {
            reply = eval(scriptKeys(keys, owner), acquireScript(keys), ReturnType.LIST, owner,
                    Long.toString(leaseMillis), markWaiting ? "1" : "0", countReplicas ? "1" : "0",
                    fairness.queued() ? "1" : "0");
        }
        return reply.thenApply(Attempt::parse);
    }

    /**
     * The step after a grant of {@code keys} (one node's, taken by one script) to {@code owner}: the BARRIER script,
     * then {@code WAIT replicas timeoutMillis}, in one Redisson batch on one connection to the keys' node (pipelined:
     * one round trip, no resend); on a Cluster, with NODE between them (see the class comment). The barrier writes
     * only while {@code owner} holds every one of the locks, so a barrier that arrives late changes nothing. When a
     * node does not know a script ({@code NOSCRIPT}), both scripts are loaded on every node
     * ({@link #loadEverywhere}) and the batch is sent once more.
     *
     * @param replicas      how many replicas {@code WAIT} waits for, at least 1
     * @param timeoutMillis how long {@code WAIT} may block, at least 1
     * @param countReplicas whether the barrier reports how many replicas its node has connected
     * @return what the barrier and {@code WAIT} found; fails when Redis refused any of the batch's commands
     *         ({@code NOPERM} for {@code WAIT} or {@code INFO}, {@code TRYAGAIN}, ...)
     */
    CompletableFuture<Acknowledgement> acknowledge(List<LockKey> keys, String owner, int replicas, long timeoutMillis,
                                                   boolean countReplicas) {
        CompletableFuture<Acknowledgement> sent = barrierAndWait(keys, owner, replicas, timeoutMillis, countReplicas);
        return sent.exceptionallyCompose(failure -> {
            if (!isNoScript(failure)) {
                return CompletableFuture.failedFuture(failure);
            }
            return loadEverywhere().thenCompose(loaded ->
                    barrierAndWait(keys, owner, replicas, timeoutMillis, countReplicas));
        });
    }

    /**
     * Loads BARRIER and NODE on every node the client knows ({@code SCRIPT LOAD} without a key: Redisson's
     * {@code executeAllAsync}, every master and every replica that is not frozen), and completes when every load
     * ended, whether it succeeded or not (a replica that does not answer must not stop the resend; a master that did
     * not load fails the resend with its own error). Every node, not the key's: a Redisson batch sends a script as
     * {@code EVALSHA} once it loaded it on that address (its cache is cleared only when the connection drops), so
     * after a {@code SCRIPT FLUSH} (or a restart without persistence that kept the connection) the keyless NODE fails
     * on the key's master too, and with a stale Cluster slot map the redirected BARRIER runs on a master the client
     * never loaded it on, which a load routed by the (stale) map would not reach.
     */
    private CompletableFuture<Void> loadEverywhere() {
        List<CompletableFuture<String>> loads = new ArrayList<>();
        for (String lua : cluster ? List.of(BARRIER, NODE) : List.of(BARRIER)) {
            try {
                loads.add(script.scriptLoadAsync(lua).toCompletableFuture());
            } catch (RuntimeException e) {
                loads.add(CompletableFuture.failedFuture(e));
            }
        }
        return CompletableFuture.allOf(loads.stream().map(load -> load.handle((sha, failure) -> null))
                .toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Acknowledgement> barrierAndWait(List<LockKey> keys, String owner, int replicas,
                                                              long timeoutMillis, boolean countReplicas) {
        try {
            RBatch batch = client.createBatch(BatchOptions.defaults().executionMode(ExecutionMode.IN_MEMORY)
                    .retryAttempts(0).sync(replicas, Duration.ofMillis(timeoutMillis)));
            RScriptAsync scripts = batch.getScript(StringCodec.INSTANCE);
            CompletableFuture<List<Object>> barrier = scripts.<List<Object>>evalAsync(keys.get(0).redisKey(),
                    // on a Cluster INFO runs anyway (the node): the replica count comes free, for a misconfigured N
                    Mode.READ_WRITE, BARRIER, ReturnType.LIST, redisKeys(keys), owner,
                    countReplicas || cluster ? "1" : "0", cluster ? "1" : "0").toCompletableFuture();
            // no keys: the node does not redirect it; the key only routes it to the batch's connection for that slot
            CompletableFuture<String> node = cluster
                    ? scripts.<String>evalAsync(keys.get(0).redisKey(), Mode.READ_WRITE, NODE, ReturnType.VALUE, List.of())
                            .toCompletableFuture()
                    : CompletableFuture.completedFuture("");
            return batch.executeAsync().toCompletableFuture().thenCombine(barrier, (result, values) -> {
                boolean held = asLong(values.get(0)) == 1;
                int connected = (int) asLong(values.get(1));
                String barrierNode = String.valueOf(values.get(2));
                String waitNode = node.getNow("");
                return new Acknowledgement(held, result.getSyncedSlaves(), connected, barrierNode, waitNode);
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static String acquireScript(List<LockKey> keys) {
        return keys.size() == 1 ? ACQUIRE : ACQUIRE_ALL;
    }

    /** @return the Redis keys of the locks */
    private static List<Object> redisKeys(List<LockKey> keys) {
        List<Object> names = new ArrayList<>(keys.size());
        for (LockKey key : keys) {
            names.add(key.redisKey());
        }
        return names;
    }

    /** @return the locks, then the owner's abandoned-attempt marker of each */
    private static List<Object> scriptKeys(List<LockKey> keys, String owner) {
        List<Object> names = redisKeys(keys);
        for (LockKey key : keys) {
            names.add(key.abandonedMarker(owner));
        }
        return names;
    }

    private static boolean isNoScript(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RedisNoScriptException) {
                return true;
            }
        }
        return false;
    }

    /** Sets the remaining lease of {@code owner}'s lock; true when it was still {@code owner}'s. */
    CompletableFuture<Boolean> extend(LockKey key, String owner, long leaseMillis) {
        return this.<Long>eval(key.redisKey(), EXTEND, ReturnType.LONG, owner, Long.toString(leaseMillis))
                .thenApply(result -> result == 1L);
    }

    /**
     * Deletes the lock if {@code owner} holds it, and announces the release when somebody waits;
     * or, before {@code holdAtLeastMillis} after its acquisition, leaves it taken by nobody until
     * then (see the class comment).
     *
     * @param holdAtLeastMillis the minimum hold, 0 for none
     */
    CompletableFuture<Release> release(LockKey key, String owner, long holdAtLeastMillis) {
        if (fairness.queued()) {
            CompletableFuture<List<Object>> reply = eval(List.of(key.redisKey(), key.queue(), key.queueExpiry()),
                    RELEASE_FAIR, ReturnType.LIST, owner, releaseChannel, Long.toString(holdAtLeastMillis),
                    RELEASED_SUFFIX, modeArgument(), Long.toString(fairness.thresholdMicros()),
                    Long.toString(pickupMillis), Long.toString(freshMillis()));
            return reply.thenApply(values -> {
                long code = asLong(values.get(0));
                if (code == 3L || code == 4L) {
                    queueWoken(key, values);
                    return Release.RELEASED_TO_QUEUE;
                }
                return release(code);
            });
        }
        return this.<Long>eval(key.redisKey(), RELEASE, ReturnType.LONG, owner, releaseChannel,
                Long.toString(holdAtLeastMillis), RELEASED_SUFFIX).thenApply(RedisLockStore::release);
    }

    private static Release release(long code) {
        if (code == 1L) {
            return Release.RELEASED;
        }
        if (code == 2L) {
            return Release.RELEASED_HELD;
        }
        return code == 0L ? Release.EXPIRED : Release.TAKEN_BY_OTHER;
    }

    /**
     * Tells {@link #queueWoken} about the owners a fair script answered after its code: the one it granted the lock to
     * or woke, and the queue's head it also woke when it freed the lock for a waiting set; empty strings for none.
     */
    private void queueWoken(LockKey key, List<Object> values) {
        for (int i = 1; i < values.size(); i++) {
            String woken = values.get(i) == null ? "" : String.valueOf(values.get(i));
            if (!woken.isEmpty()) {
                queueWoken.accept(key.redisKey(), woken);
            }
        }
    }

    /**
     * A queued waiter gives up, every attempt of {@code owner} answered: its entry leaves the queue, and a hand-off
     * to it that it has not discovered is given back and handed on. Idempotent. Only with fair hand-off.
     *
     * @return true when a hand-off was given back
     */
    CompletableFuture<Boolean> leave(LockKey key, String owner, long leaseMillis) {
        CompletableFuture<List<Object>> reply = eval(List.of(key.redisKey(), key.queue(), key.queueExpiry()), LEAVE,
                ReturnType.LIST, owner, Long.toString(leaseMillis), releaseChannel, modeArgument(),
                Long.toString(fairness.thresholdMicros()), Long.toString(pickupMillis), Long.toString(freshMillis()));
        return reply.thenApply(values -> {
            queueWoken(key, values);
            return asLong(values.get(0)) == 1L;
        });
    }

    /**
     * Gives up an acquisition attempt whose answer never arrived (the call timed out or failed in
     * the client), whatever Redis did with it: deletes the lock if the attempt was granted, else
     * leaves a marker that makes the attempt fail if it is still delivered later. So the order in
     * which a delayed attempt and this call reach Redis does not matter.
     *
     * @param keys         the keys of the attempt: one, or several on one node
     * @param markerMillis how long the marker refuses the delayed attempt
     * @param leaseMillis  the attempt's lease: with fair hand-off (one key) the owner's queue entry, which names
     *                     it, leaves the queue too, and a deleted lock is handed on
     * @return true when a granted lock was deleted
     */
    CompletableFuture<Boolean> abandon(List<LockKey> keys, String owner, long markerMillis, long leaseMillis) {
        if (queues(keys)) {
            LockKey key = keys.get(0);
            CompletableFuture<List<Object>> reply = eval(List.of(key.redisKey(), key.abandonedMarker(owner),
                            key.queue(), key.queueExpiry()), ABANDON_FAIR, ReturnType.LIST, owner,
                    Long.toString(markerMillis), releaseChannel, Long.toString(leaseMillis), modeArgument(),
                    Long.toString(fairness.thresholdMicros()), Long.toString(pickupMillis),
                    Long.toString(freshMillis()));
            return reply.thenApply(values -> {
                queueWoken(key, values);
                return asLong(values.get(0)) == 1L;
            });
        }
        return this.<Long>eval(scriptKeys(keys, owner), keys.size() == 1 ? ABANDON : ABANDON_ALL, ReturnType.LONG,
                owner, Long.toString(markerMillis), releaseChannel).thenApply(result -> result == 1L);
    }

    /** Whether {@code owner} holds the lock right now. */
    CompletableFuture<Boolean> isHeld(LockKey key, String owner) {
        return this.<Long>eval(key.redisKey(), IS_HELD, ReturnType.LONG, owner).thenApply(result -> result == 1L);
    }

    /**
     * Reads the lock in one round trip, on the node that owns it (the master: a replica may lag).
     *
     * @return the lock's state, or null when the key does not exist
     */
    CompletableFuture<Snapshot> inspect(LockKey key) {
        CompletableFuture<List<Object>> reply = eval(key.redisKey(), INSPECT, ReturnType.LIST);
        return reply.thenApply(values -> values == null || values.isEmpty() ? null
                : new Snapshot(String.valueOf(values.get(0)), asLong(values.get(1)), asLong(values.get(2))));
    }

    /** Runs a script on the node that owns the key; a synchronous failure becomes a failed future. */
    private <T> CompletableFuture<T> eval(String redisKey, String lua, ReturnType returnType, Object... args) {
        return eval(List.<Object>of(redisKey), lua, returnType, args);
    }

    /** Runs a script on the node that owns the first key (all keys are in its slot). */
    private <T> CompletableFuture<T> eval(List<Object> keys, String lua, ReturnType returnType, Object... args) {
        try {
            List<Object> keyArguments = Collections.unmodifiableList(keys);
            return script.<T>evalAsync(String.valueOf(keys.get(0)), Mode.READ_WRITE, lua, returnType, keyArguments,
                            args)
                    .toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static long asLong(Object value) {
        if (value instanceof Number number) {
            return number.longValue();
        }
        return Long.parseLong(String.valueOf(value));
    }
}
