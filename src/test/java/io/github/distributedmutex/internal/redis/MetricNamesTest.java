package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.testing.LogCapture;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The metric name of a call: given, else derived from the key, and never more than a bounded number of derived names. */
class MetricNamesTest {

    private final MetricNames names = new MetricNames();

    @Test
    void aGivenNameWinsThenTheAdaptersThenTheKeysKind() {
        LockKey key = LockKey.of("job:42:step", "p:");
        assertThat(names.of(key, LockOptions.defaults().withMetricName("jobs"), "job:%d:step")).isEqualTo("jobs");
        assertThat(names.of(key, LockOptions.defaults(), "job:%d:step")).isEqualTo("job:%d:step");
        assertThat(names.of(key, LockOptions.defaults(), null)).isEqualTo("job");
        assertThat(names.of(LockKey.of("nightly-report", "p:"), LockOptions.defaults(), null)).isEqualTo("nightly-report");
    }

    @Test
    void derivedNamesAreBoundedAndTheRestIsOther() {
        Set<String> seen = new HashSet<>();
        try (LogCapture logs = LogCapture.start()) {
            for (int tenant = 0; tenant < 1_000; tenant++) {
                seen.add(names.of(LockKey.of("export-" + tenant, "p:"), LockOptions.defaults(), null));
            }
            assertThat(logs.lines("WARN")).singleElement().satisfies(line -> assertThat(line)
                    .contains("withMetricName").contains("'" + MetricNames.OTHER + "'"));
        }
        assertThat(seen).hasSize(MetricNames.MAX_DERIVED + 1).contains(MetricNames.OTHER);
        assertThat(names.of(LockKey.of("export-0", "p:"), LockOptions.defaults(), null))
                .as("a name given out before stays").isEqualTo("export-0");
    }
}
