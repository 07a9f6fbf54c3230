package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.ReplicaAcks;
import io.github.distributedmutex.internal.config.SettingsReader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Judges whether enough replicas acknowledged a grant ({@code distributedmutex.replica-acks}).
 * Every attempt of an acquisition is sent together with {@code WAIT} on the same connection
 * ({@link RedisLockStore#tryAcquire(io.github.distributedmutex.internal.key.LockKey, String, long, boolean, int,
 * long, boolean)}); this class says what the {@code WAIT} asks for and what its answer means.
 *
 * <p><b>A number {@code n}</b>: {@code WAIT n timeout}; the grant counts when at least {@code n} replicas
 * acknowledged it.
 *
 * <p><b>{@code all}</b>: every replica the granting master has connected at the grant, and at least one
 * (a master whose replicas are all gone refuses, since a failover would lose its grants). The master
 * reports that number inside the grant's script ({@code INFO replication}, {@code connected_slaves}), so
 * the judgement is exact per grant and per master. The {@code WAIT} must be sent before that answer, so it
 * asks for the number the last grant reported (one value per adapter, starting at 1): when replicas were
 * added since, the {@code WAIT} may return with fewer acknowledgements than are connected now, and the
 * attempt is made once more at once, asking for the new number ({@link Verdict#ASK_AGAIN}); when replicas
 * left since, the {@code WAIT} blocks until its timeout once and the grant still counts if every replica
 * still connected acknowledged it. On a Cluster whose masters have different numbers of replicas, that
 * number changes with the master a key lives on: use a number there.
 */
final class ReplicaAcknowledgements {

    /** What a grant's acknowledgements mean. */
    enum Verdict {
        /** Enough replicas acknowledged: the lock counts as acquired. */
        ENOUGH,
        /** Too few acknowledged: the grant must be given back and the acquisition fail. */
        TOO_FEW,
        /**
         * {@code all}: the {@code WAIT} asked for fewer replicas than were connected at the grant, and fewer than
         * those acknowledged: give back, ask again.
         */
        ASK_AGAIN
    }

    private final ReplicaAcks policy;
    /** {@code all}: what the next {@code WAIT} asks for, the replicas the last grant reported (at least 1). */
    private final AtomicInteger lastConnected = new AtomicInteger(1);

    ReplicaAcknowledgements(ReplicaAcks policy) {
        this.policy = policy;
    }

    /** @return whether grants are not waited for (the acquisition is one script call, as without the policy) */
    boolean isOff() {
        return policy.isOff();
    }

    /** @return how many replicas the next {@code WAIT} asks for */
    int waitFor() {
        return policy.isAll() ? lastConnected.get() : policy.replicas();
    }

    /** @return whether grants must report how many replicas their master has connected */
    boolean countsReplicas() {
        return policy.isAll();
    }

    /** @return how long a {@code WAIT} may block, in milliseconds */
    long timeoutMillis() {
        return policy.timeoutMillis();
    }

    /** @return how much longer than a plain attempt an attempt with its {@code WAIT} may take */
    long extraAttemptNanos() {
        return policy.isOff() ? 0 : TimeUnit.MILLISECONDS.toNanos(policy.timeoutMillis());
    }

    /**
     * @param grant   a granted attempt, sent with {@code WAIT askedFor}
     * @param askedFor what its {@code WAIT} asked for
     */
    Verdict judge(RedisLockStore.Attempt grant, int askedFor) {
        if (!policy.isAll()) {
            return grant.acknowledged() >= policy.replicas() ? Verdict.ENOUGH : Verdict.TOO_FEW;
        }
        int required = required(grant);
        lastConnected.set(required);
        if (grant.acknowledged() >= required) {
            return Verdict.ENOUGH;
        }
        return askedFor < required ? Verdict.ASK_AGAIN : Verdict.TOO_FEW;
    }

    /** @return why a grant that got {@link Verdict#TOO_FEW} does not count, for the exception's message */
    String tooFew(String key, RedisLockStore.Attempt grant) {
        String required;
        if (!policy.isAll()) {
            required = "requires " + policy.replicas() + " replica(s)";
        } else if (grant.connectedReplicas() > 0) {
            required = "requires all " + grant.connectedReplicas() + " connected replica(s)";
        } else {
            required = "requires at least one, and the master had no replica connected";
        }
        return "Lock '" + key + "' was granted, but only " + grant.acknowledged() + " replica(s) acknowledged it"
                + " within " + policy.timeoutMillis() + " ms where " + SettingsReader.REPLICA_ACKS + "="
                + (policy.isAll() ? "all" : Integer.toString(policy.replicas())) + " " + required
                + ": a failover now could lose it, so it was not kept";
    }

    private static int required(RedisLockStore.Attempt grant) {
        return Math.max(1, grant.connectedReplicas());
    }

    @Override
    public String toString() {
        return policy.toString();
    }
}
