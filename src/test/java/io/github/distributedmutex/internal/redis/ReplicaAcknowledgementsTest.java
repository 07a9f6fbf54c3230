package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.config.ReplicaAcks;
import io.github.distributedmutex.internal.redis.ReplicaAcknowledgements.Verdict;
import io.github.distributedmutex.internal.redis.RedisLockStore.Acknowledgement;
import io.github.distributedmutex.internal.redis.RedisLockStore.Attempt;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decision of {@link ReplicaAcknowledgements}, without Redis: how many replicas a grant's {@code WAIT} asks for,
 * and whether what came back counts as acquired. (What Redis answers is proved against real servers in
 * {@code topology/ReplicaAcksTest}, {@code ClusterReplicaAcksTest} and {@code SentinelFailoverTest}.)
 */
class ReplicaAcknowledgementsTest {

    private static final Duration TIMEOUT = Duration.ofMillis(300);
    private static final String NODE = "master:8c1f0e2b9a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b";
    private static final String OTHER_NODE = "master:0123456789abcdef0123456789abcdef01234567";

    private static ReplicaAcks policy(String replicas) {
        return new ReplicaAcks(replicas.equals("all") ? ReplicaAcks.ALL : Integer.parseInt(replicas), TIMEOUT);
    }

    private static Acknowledgement acknowledged(int acknowledged, int connected) {
        return new Acknowledgement(true, acknowledged, connected, NODE, NODE);
    }

    @ParameterizedTest(name = "replica-acks={0}, {1} acknowledged of {2} connected -> {3}")
    @CsvSource({
        "1,   0, -1, TOO_FEW",
        "1,   1, -1, ENOUGH",
        "1,   2, -1, ENOUGH",
        "2,   1, -1, TOO_FEW",
        "2,   2, -1, ENOUGH",
        "all, 0,  0, TOO_FEW",  // no replica at all: at least one is required
        "all, 1,  0, ENOUGH",   // (a replica connected between the barrier's INFO and its WAIT)
        "all, 1,  2, TOO_FEW",
        "all, 2,  2, ENOUGH",
        "all, 3,  3, ENOUGH",
        "all, 1,  1, ENOUGH",
    })
    void howManyAcknowledgedDecides(String replicas, int acknowledged, int connected, Verdict expected) {
        assertThat(ReplicaAcknowledgements.judge(policy(replicas), acknowledged(acknowledged, connected)))
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "replica-acks={0}, grant on a master with {1} replicas -> WAIT {2}")
    @CsvSource({
        "1,   -1, 1",
        "3,   -1, 3",
        "all,  2, 2",
        "all,  1, 1",
        "all,  0, 1",  // at least one: WAIT 1 runs into its timeout, and the grant is refused
        "all,  5, 5",
    })
    void theWaitAsksForTheNumberOfTheGrantingMaster(String replicas, int connectedAtGrant, int waitFor) {
        Attempt grant = new Attempt(true, 1L, 0L, connectedAtGrant);
        assertThat(ReplicaAcknowledgements.waitFor(policy(replicas), grant)).isEqualTo(waitFor);
    }

    /**
     * {@code all} keeps nothing between grants: after a grant on a master with two replicas, a grant on a master with
     * one asks for one (before, an adapter-wide number made it ask for two and block until the timeout).
     */
    @Test
    void allAsksEachGrantForItsOwnMastersReplicas() {
        ReplicaAcknowledgements all = new ReplicaAcknowledgements(policy("all"));
        assertThat(all.waitFor(new Attempt(true, 1L, 0L, 2))).isEqualTo(2);
        assertThat(all.judge(acknowledged(2, 2))).isEqualTo(Verdict.ENOUGH);
        assertThat(all.waitFor(new Attempt(true, 2L, 0L, 1))).isEqualTo(1);
        assertThat(all.judge(acknowledged(1, 1))).isEqualTo(Verdict.ENOUGH);
        assertThat(all.waitFor(new Attempt(true, 3L, 0L, 2))).isEqualTo(2);
    }

    @Test
    void aLockNoLongerHeldAtTheBarrierIsNeverAcknowledged() {
        Acknowledgement gone = new Acknowledgement(false, 2, 2, "", NODE);
        for (String replicas : new String[] {"1", "2", "all"}) {
            assertThat(ReplicaAcknowledgements.judge(policy(replicas), gone)).isEqualTo(Verdict.NOT_HELD);
        }
        assertThat(new ReplicaAcknowledgements(policy("1")).explain("job:1", gone))
                .contains("Lock 'job:1' was granted, but no longer held by this acquisition");
    }

    /** A stale Cluster slot map: the barrier followed a redirect, the WAIT stayed on the old master. */
    @Test
    void aWaitOnAnotherNodeThanTheBarrierIsNeverAcknowledged() {
        Acknowledgement split = new Acknowledgement(true, 1, 1, NODE, OTHER_NODE);
        for (String replicas : new String[] {"1", "all"}) {
            assertThat(ReplicaAcknowledgements.judge(policy(replicas), split)).isEqualTo(Verdict.OTHER_NODE);
        }
        assertThat(new ReplicaAcknowledgements(policy("1")).explain("job:1", split))
                .contains("the WAIT that was to count its replica acknowledgements ran on another")
                .contains("slot map is stale");
        // a WAIT on a replica (a demoted master) does not count either, even with the same replication id
        Acknowledgement onReplica = new Acknowledgement(true, 1, 1, NODE, "slave:" + NODE.substring("master:".length()));
        assertThat(ReplicaAcknowledgements.judge(policy("1"), onReplica)).isEqualTo(Verdict.OTHER_NODE);
        // without a Cluster, nodes are not asked: one connection, no redirects
        assertThat(ReplicaAcknowledgements.judge(policy("1"), new Acknowledgement(true, 1, -1, "", "")))
                .isEqualTo(Verdict.ENOUGH);
    }

    @Test
    void theMessageOfTooFewNamesTheNumbers() {
        assertThat(new ReplicaAcknowledgements(policy("2")).explain("job:1", acknowledged(1, -1)))
                .isEqualTo("Lock 'job:1' was granted, but only 1 replica(s) acknowledged it within 300 ms where"
                        + " distributedmutex.replica-acks=2 requires 2 replica(s): a failover now could lose it, so it"
                        + " was not kept");
        assertThat(new ReplicaAcknowledgements(policy("all")).explain("job:1", acknowledged(1, 2)))
                .contains("distributedmutex.replica-acks=all requires all 2 connected replica(s)");
        assertThat(new ReplicaAcknowledgements(policy("all")).explain("job:1", acknowledged(0, 0)))
                .contains("requires at least one, and the master had no replica connected");
        // a number above what the master has (its count known on a Cluster): said, and the WARN's condition
        ReplicaAcknowledgements two = new ReplicaAcknowledgements(policy("2"));
        assertThat(two.explain("job:1", acknowledged(1, 1))).contains("requires 2 replica(s), and the master had only"
                + " 1 connected");
        assertThat(two.fewerThanRequired(acknowledged(1, 1))).isTrue();
        assertThat(two.fewerThanRequired(acknowledged(1, 2))).isFalse();
        assertThat(two.fewerThanRequired(acknowledged(1, -1))).as("count unknown").isFalse();
        assertThat(new ReplicaAcknowledgements(policy("all")).fewerThanRequired(acknowledged(0, 0))).isFalse();
    }
}
