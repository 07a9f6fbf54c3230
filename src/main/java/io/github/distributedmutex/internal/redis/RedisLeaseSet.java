package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.config.LeaseDuration;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@link Lease} of several keys locked together ({@code lockAll}): one {@link RedisLease} per key, in the
 * canonical order they were taken in. Every operation is the parts' own, applied to all of them; nothing is
 * kept here but the parts. See {@link io.github.distributedmutex.Adapter#lockAll} for the contract.
 */
final class RedisLeaseSet implements Lease {

    private final List<RedisLease> parts;
    private final List<String> keys;
    /** The one token every part shares (granted by one script), or {@link #MIXED} when they differ. */
    private final long token;
    private static final long MIXED = Long.MIN_VALUE;

    /** @param parts the held parts, in canonical order, at least two */
    RedisLeaseSet(List<RedisLease> parts) {
        this.parts = List.copyOf(parts);
        this.keys = this.parts.stream().map(RedisLease::key).toList();
        long first = this.parts.get(0).fencingToken();
        this.token = this.parts.stream().allMatch(part -> part.fencingToken() == first) ? first : MIXED;
    }

    @Override
    public String key() {
        return String.join(", ", keys);
    }

    @Override
    public List<String> keys() {
        return keys;
    }

    /** The one token of a set granted by one script; see {@link io.github.distributedmutex.Lease#fencingToken()}. */
    @Override
    public long fencingToken() {
        if (token == MIXED) {
            throw new IllegalStateException("the keys " + keys + " were granted by more than one Redis script (keys in"
                    + " different Redis Cluster slots), each with its own fencing token, and no one token is safe for"
                    + " all of them across nodes: pass fencingToken(key) to the resource each key protects");
        }
        return token;
    }

    @Override
    public long fencingToken(String key) {
        for (RedisLease part : parts) {
            if (part.key().equals(key)) {
                return part.fencingToken();
            }
        }
        throw new IllegalArgumentException("lock key '" + key + "' is not one of this lease's keys " + keys);
    }

    /** Asks Redis part by part, and stops at the first part that is not held. */
    @Override
    public boolean isHeld() {
        for (RedisLease part : parts) {
            if (!part.isHeld()) {
                return false;
            }
        }
        return true;
    }

    /** Extends every part that is still held; true only when every part was. */
    @Override
    public boolean extend(Duration duration) {
        LeaseDuration.check("extend duration", duration);
        boolean all = true;
        for (RedisLease part : parts) {
            all &= part.extend(duration);
        }
        return all;
    }

    @Override
    public void close() {
        closeAsync();
        parts.forEach(RedisLease::close); // each waits for its own release, already under way
    }

    @Override
    public CompletionStage<Void> closeAsync() {
        return CompletableFuture.allOf(parts.stream().map(part -> part.closeAsync().toCompletableFuture())
                .toArray(CompletableFuture[]::new));
    }

    @Override
    public void closeNow() {
        closeNowAsync();
        parts.forEach(RedisLease::closeNow);
    }

    @Override
    public CompletionStage<Void> closeNowAsync() {
        return CompletableFuture.allOf(parts.stream().map(part -> part.closeNowAsync().toCompletableFuture())
                .toArray(CompletableFuture[]::new));
    }

    @Override
    public String toString() {
        return "Lease" + parts;
    }
}
