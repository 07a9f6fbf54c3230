package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.testing.LogCapture;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The metric name of a call: given, else derived from the key (never the key itself), and never more than a bounded number of names. */
class MetricNamesTest {

    private final MetricNames names = new MetricNames();

    @Test
    void aGivenNameWinsThenTheAdaptersThenTheKeysKind() {
        LockKey key = LockKey.of("job:42:step", "p:");
        assertThat(names.of(key, LockOptions.defaults().withMetricName("jobs"), "job:%d:step")).isEqualTo("jobs");
        assertThat(names.of(key, LockOptions.defaults(), "job:%d:step")).isEqualTo("job:%d:step");
        assertThat(names.of(key, LockOptions.defaults(), null)).isEqualTo("job");
    }

    @Test
    void aKeyWithoutAColonIsNeverItsOwnName() {
        assertThat(names.of(LockKey.of("alice@example.com", "p:"), LockOptions.defaults(), null))
                .as("the key may be personal data").isEqualTo(MetricNames.UNNAMED);
        assertThat(names.of(LockKey.of("nightly-report", "p:"), LockOptions.defaults(), null))
                .isEqualTo(MetricNames.UNNAMED);
    }

    @Test
    void givenNamesCountTowardsTheBoundToo() {
        Set<String> seen = new HashSet<>();
        for (int id = 0; id < 1_000; id++) {
            seen.add(names.of(LockKey.of("invoice:" + id, "p:"), LockOptions.defaults().withMetricName("invoice-" + id),
                    null));
            seen.add(names.of(LockKey.of("tenant:" + id, "p:"), LockOptions.defaults(), "tenant:" + id + ":%s"));
        }
        assertThat(seen).hasSize(MetricNames.MAX_NAMES + 1).contains(MetricNames.OTHER);
    }

    @Test
    void derivedNamesAreBoundedAndTheRestIsOther() {
        Set<String> seen = new HashSet<>();
        try (LogCapture logs = LogCapture.start()) {
            for (int tenant = 0; tenant < 1_000; tenant++) {
                seen.add(names.of(LockKey.of("export-" + tenant + ":1", "p:"), LockOptions.defaults(), null));
            }
            assertThat(logs.lines("WARN")).singleElement().satisfies(line -> assertThat(line)
                    .contains("withMetricName").contains("'" + MetricNames.OTHER + "'"));
        }
        assertThat(seen).hasSize(MetricNames.MAX_NAMES + 1).contains(MetricNames.OTHER);
        assertThat(names.of(LockKey.of("export-0:2", "p:"), LockOptions.defaults(), null))
                .as("a name given out before stays").isEqualTo("export-0");
    }
}
