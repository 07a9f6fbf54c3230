package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.internal.config.Fairness;
import java.time.Duration;

/** Everything the benchmark measures side by side, with the names used on command lines and in the report. */
enum Contender {

    /** A Redis {@code PING} through the Redisson client: the network floor of one round trip. */
    PING("ping", "Redis PING, same client (1 round trip)"),
    /** {@code SET NX PX}, then an owner-checked Lua delete: the cheapest owner-safe lock cycle. */
    FLOOR("floor", "SET NX PX + owner-checked delete (floor)"),
    /** Redisson's {@code RLock}, {@code tryLock(5 s wait, 60 s lease)} and {@code unlock()}. */
    RLOCK("rlock", "Raw Redisson RLock"),
    /** Redisson's {@code RFairLock} ({@code getFairLock}), {@code tryLock(5 s wait, 60 s lease)} and {@code unlock()}. */
    RFAIRLOCK("rfairlock", "Raw Redisson RFairLock"),
    /**
     * The library's thread-owned {@code Adapter.acquire}/{@code release}, with {@link Fairness#BARGING} set
     * explicitly: the contender of every earlier run, whatever the library's default fairness.
     */
    ADAPTER("adapter", "Adapter acquire/release (barging)"),
    /** {@link #ADAPTER} with {@link Fairness.Mode#FIFO}: strict hand-off to the longest waiter. */
    ADAPTER_FIFO("adapter-fifo", "Adapter acquire/release (fifo)"),
    /** {@link #ADAPTER} with {@link Fairness.Mode#HYBRID} and the phase's threshold. */
    ADAPTER_HYBRID("adapter-hybrid", "Adapter acquire/release (hybrid)"),
    /** The library's {@code Adapter.lock} and {@code Lease.close}, with the fencing token. */
    LEASE("lease", "Lease API: lock/close (with fencing token)"),
    /** A {@code @Locked("bench:{id}")} method of a bean in a Weld SE container. */
    LOCKED("locked", "@Locked method, template key (Weld SE)"),
    /** The Go package's strategy: {@code SET NX PX} polled every 250 ms, 20 retries. */
    GO_PACKAGE("go", "Go package strategy (SET NX PX, retry every 250 ms × 20)");

    private final String id;
    private final String label;

    Contender(String id, String label) {
        this.id = id;
        this.label = label;
    }

    /** @return the short name used in phase descriptions and file names */
    String id() {
        return id;
    }

    /** @return the name shown in the report */
    String label() {
        return label;
    }

    /**
     * @param hybridThreshold the threshold of {@link #ADAPTER_HYBRID}
     * @return how the library's adapter of this contender passes a contended lock between processes:
     *         {@link Fairness#BARGING} for every adapter contender but the fair ones, so that they stay comparable with
     *         earlier runs; {@code null} for a contender that is not the library's adapter
     */
    Fairness fairness(Duration hybridThreshold) {
        return switch (this) {
            case ADAPTER, LEASE, LOCKED -> Fairness.BARGING;
            case ADAPTER_FIFO -> new Fairness(Fairness.Mode.FIFO, hybridThreshold);
            case ADAPTER_HYBRID -> new Fairness(Fairness.Mode.HYBRID, hybridThreshold);
            case PING, FLOOR, RLOCK, RFAIRLOCK, GO_PACKAGE -> null;
        };
    }

    /**
     * @param id a short name
     * @return the contender with that name
     * @throws IllegalArgumentException when there is none
     */
    static Contender byId(String id) {
        for (Contender contender : values()) {
            if (contender.id.equals(id)) {
                return contender;
            }
        }
        throw new IllegalArgumentException("Unknown contender '" + id + "'");
    }
}
