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
    private final long token;

    /** @param parts the held parts, in canonical order, at least two */
    RedisLeaseSet(List<RedisLease> parts) {
        this.parts = List.copyOf(parts);
        this.keys = this.parts.stream().map(RedisLease::key).toList();
        this.token = this.parts.stream().mapToLong(RedisLease::fencingToken).max().orElseThrow();
    }

    @Override
    public String key() {
        return String.join(", ", keys);
    }

    @Override
    public List<String> keys() {
        return keys;
    }

    @Override
    public long fencingToken() {
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
