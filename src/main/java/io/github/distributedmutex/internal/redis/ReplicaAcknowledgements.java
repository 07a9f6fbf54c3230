package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.ReplicaAcks;
import io.github.distributedmutex.internal.config.SettingsReader;

/**
 * Judges whether enough replicas acknowledged a grant ({@code distributedmutex.replica-acks}). Only a grant is
 * waited for: after it, {@link RedisLockStore#acknowledge} writes a barrier to the lock on the key's node and sends
 * {@code WAIT} on the same connection; this class says what that {@code WAIT} asks for and what the answer means.
 * It keeps no state: every judgement depends on one grant and its acknowledgement alone.
 *
 * <p><b>A number {@code n}</b>: {@code WAIT n timeout}; the grant counts when at least {@code n} replicas
 * acknowledged it.
 *
 * <p><b>{@code all}</b>: every replica of the node that holds the grant, and at least one (a master whose replicas
 * are all gone refuses, since a failover would lose its grants). The grant's script reports how many replicas its
 * master has connected ({@code INFO replication}, {@code connected_slaves}), and the {@code WAIT} asks for that many;
 * the barrier reports the number again, on the node the {@code WAIT} runs on, and that number is required. So on a
 * Cluster whose masters have different numbers of replicas, each grant is judged by its own master's. When a replica
 * left between the grant and the barrier, the {@code WAIT} runs into its timeout and the grant counts if every
 * replica still connected acknowledged it; when one was added, it must have acknowledged too.
 *
 * <p><b>Not counted, whatever the number</b>: a barrier that found the lock no longer held by the acquisition (its
 * lease ended, or its key moved to another node between the two steps), and, on a Cluster, a {@code WAIT} that ran on
 * another node than the barrier (the client's slot map was stale: Redisson followed the barrier's redirect but kept
 * the {@code WAIT} reply of the node it first sent the batch to).
 */
final class ReplicaAcknowledgements {

    /** What a grant's acknowledgement means. */
    enum Verdict {
        /** Enough replicas acknowledged: the lock counts as acquired. */
        ENOUGH,
        /** Too few acknowledged: the grant must be given back and the acquisition fail. */
        TOO_FEW,
        /** The barrier did not find the lock held by the acquisition any more: nothing was acknowledged. */
        NOT_HELD,
        /** The {@code WAIT} ran on another node than the barrier: its answer says nothing about the grant. */
        OTHER_NODE
    }

    private final ReplicaAcks policy;

    ReplicaAcknowledgements(ReplicaAcks policy) {
        this.policy = policy;
    }

    /** @return whether grants are not waited for (the acquisition is one script call, as without the policy) */
    boolean isOff() {
        return policy.isOff();
    }

    /** @return whether grants and barriers must report how many replicas their node has connected */
    boolean countsReplicas() {
        return policy.isAll();
    }

    /** @return how long a {@code WAIT} may block, in milliseconds */
    long timeoutMillis() {
        return policy.timeoutMillis();
    }

    /**
     * @param grant a granted attempt (with {@code all}, it reported its master's connected replicas)
     * @return how many replicas the {@code WAIT} after it asks for, at least 1
     */
    int waitFor(RedisLockStore.Attempt grant) {
        return waitFor(policy, grant);
    }

    /** @see #waitFor(RedisLockStore.Attempt) */
    static int waitFor(ReplicaAcks policy, RedisLockStore.Attempt grant) {
        return policy.isAll() ? Math.max(1, grant.connectedReplicas()) : policy.replicas();
    }

    /** @return the verdict on a grant's acknowledgement under this policy */
    Verdict judge(RedisLockStore.Acknowledgement acknowledgement) {
        return judge(policy, acknowledgement);
    }

    /**
     * The decision, as a pure function.
     *
     * @param policy          the policy, not off
     * @param acknowledgement what the barrier and its {@code WAIT} found
     * @return the verdict
     */
    static Verdict judge(ReplicaAcks policy, RedisLockStore.Acknowledgement acknowledgement) {
        if (!acknowledgement.held()) {
            return Verdict.NOT_HELD;
        }
        if (!acknowledgement.sameNode()) {
            return Verdict.OTHER_NODE;
        }
        return acknowledgement.acknowledged() >= required(policy, acknowledgement) ? Verdict.ENOUGH : Verdict.TOO_FEW;
    }

    /** @return how many acknowledgements the policy requires of this grant */
    static int required(ReplicaAcks policy, RedisLockStore.Acknowledgement acknowledgement) {
        return policy.isAll() ? Math.max(1, acknowledgement.connectedReplicas()) : policy.replicas();
    }

    /**
     * @param key             the lock's name
     * @param acknowledgement an acknowledgement whose verdict was not {@link Verdict#ENOUGH}
     * @return why the grant does not count, for the exception's message
     * @throws IllegalArgumentException when the acknowledgement is enough: there is nothing to explain
     */
    String explain(String key, RedisLockStore.Acknowledgement acknowledgement) {
        String setting = setting();
        return switch (judge(acknowledgement)) {
            case ENOUGH -> throw new IllegalArgumentException("the grant of '" + key + "' counts: nothing to explain");
            case NOT_HELD -> "Lock '" + key + "' was granted, but no longer held by this acquisition when its replica"
                    + " acknowledgements were asked for (its lease ended, or its key moved to another node), so with "
                    + setting + " it was not kept";
            case OTHER_NODE -> "Lock '" + key + "' was granted on one Redis node, but the WAIT that was to count its"
                    + " replica acknowledgements ran on another (" + describe(acknowledgement.waitNode()) + ", the grant"
                    + " on " + describe(acknowledgement.barrierNode()) + "): the client's Cluster slot map is stale"
                    + " (slots moved), so its acknowledgements are unknown and with " + setting + " it was not kept";
            case TOO_FEW -> {
                String required;
                if (!policy.isAll()) {
                    required = "requires " + policy.replicas() + " replica(s)" + (fewerThanRequired(acknowledgement)
                            ? ", and the master had only " + acknowledgement.connectedReplicas() + " connected" : "");
                } else if (acknowledgement.connectedReplicas() > 0) {
                    required = "requires all " + acknowledgement.connectedReplicas() + " connected replica(s)";
                } else {
                    required = "requires at least one, and the master had no replica connected";
                }
                yield "Lock '" + key + "' was granted, but only " + acknowledgement.acknowledged()
                        + " replica(s) acknowledged it within " + policy.timeoutMillis() + " ms where " + setting + " "
                        + required + ": a failover now could lose it, so it was not kept";
            }
        };
    }

    /** @return the policy as configured, {@code distributedmutex.replica-acks=...} */
    String setting() {
        return SettingsReader.REPLICA_ACKS + "=" + (policy.isAll() ? "all" : Integer.toString(policy.replicas()));
    }

    /**
     * @return whether the policy is a number larger than the replicas the grant's master reported connected (known
     *         on a Cluster, where the barrier reads {@code INFO replication} anyway): every grant there fails
     */
    boolean fewerThanRequired(RedisLockStore.Acknowledgement acknowledgement) {
        return !policy.isAll() && acknowledgement.connectedReplicas() >= 0
                && acknowledgement.connectedReplicas() < policy.replicas();
    }

    /** @return a node as {@code RedisLockStore}'s NODE script names it, readable */
    private static String describe(String node) {
        int colon = node.indexOf(':');
        return colon < 0 ? "unknown node" : node.substring(0, colon) + " with replication id " + node.substring(colon + 1);
    }

    @Override
    public String toString() {
        return policy.toString();
    }
}
