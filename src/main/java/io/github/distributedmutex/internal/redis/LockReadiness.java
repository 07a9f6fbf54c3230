package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.config.CredentialMasking;
import java.util.Objects;

/**
 * Whether an adapter can lock now: Redis answers and its release notifications arrive (see
 * {@link RedisAdapter#readiness(java.time.Duration)}).
 *
 * @param up     whether it can
 * @param reason why not, generic: it is shown on the health endpoint, which is usually not
 *               authenticated, so it never names a host, a port or a credential (for example
 *               {@code Redis is not reachable}); for {@code up}, what was checked
 * @param detail the same with the details, for the log only (the underlying error, which may name
 *               Redis's host and port), credentials masked
 */
public record LockReadiness(boolean up, String reason, String detail) {

    /** Masks credentials in the reason and the detail. */
    public LockReadiness {
        reason = CredentialMasking.maskUri(Objects.requireNonNull(reason, "reason"));
        detail = CredentialMasking.maskUri(Objects.requireNonNull(detail, "detail"));
    }

    /**
     * A readiness without more details than its reason.
     *
     * @param up     whether the adapter can lock
     * @param reason why not (generic), or what was checked
     */
    public LockReadiness(boolean up, String reason) {
        this(up, reason, reason);
    }

    static LockReadiness up(String what) {
        return new LockReadiness(true, what);
    }

    static LockReadiness down(String why) {
        return new LockReadiness(false, why);
    }

    /**
     * @param why     the generic reason, for the health endpoint
     * @param details what failed, for the log
     */
    static LockReadiness down(String why, String details) {
        return new LockReadiness(false, why, why + " (" + details + ")");
    }
}
