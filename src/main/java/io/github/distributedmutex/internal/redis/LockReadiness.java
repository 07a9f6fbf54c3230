package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.CredentialMasking;
import java.util.Objects;

/**
 * Whether an adapter can lock now: Redis answers and its release notifications arrive (see
 * {@link RedisAdapter#readiness(java.time.Duration)}).
 *
 * @param up     whether it can
 * @param reason why not, credentials masked; for {@code up}, what was checked
 */
public record LockReadiness(boolean up, String reason) {

    /** Masks credentials in the reason. */
    public LockReadiness {
        reason = CredentialMasking.maskUri(Objects.requireNonNull(reason, "reason"));
    }

    static LockReadiness up(String what) {
        return new LockReadiness(true, what);
    }

    static LockReadiness down(String why) {
        return new LockReadiness(false, why);
    }
}
