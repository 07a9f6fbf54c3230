package io.github.distributedmutex.internal.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyFormatTest {

    @Test
    void formatsWithTheRootLocale() {
        assertThat(KeyFormat.format("tenant:%s:resource:%d", "t-1", 42)).isEqualTo("tenant:t-1:resource:42");
        assertThat(KeyFormat.format("ratio:%.2f", 0.5)).isEqualTo("ratio:0.50");
        assertThat(KeyFormat.format("plain")).isEqualTo("plain");
        assertThat(KeyFormat.format("100%%:%s", "x")).isEqualTo("100%:x");
    }

    @Test
    void countsExplicitAndRelativeIndexes() {
        assertThat(KeyFormat.argumentsUsed("%2$s:%1$s")).isEqualTo(2);
        assertThat(KeyFormat.argumentsUsed("%s:%<s")).isEqualTo(1);
        assertThat(KeyFormat.argumentsUsed("%s%n%%")).isEqualTo(1);
        assertThat(KeyFormat.format("%2$s:%1$s", "a", "b")).isEqualTo("b:a");
    }

    @Test
    void rejectsMismatchedArguments() {
        assertThatThrownBy(() -> KeyFormat.format("%s:%s", "a")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'%s:%s'");
        assertThatThrownBy(() -> KeyFormat.format("%s", "a", "b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("uses 1 argument(s) but 2 were given");
        assertThatThrownBy(() -> KeyFormat.format("%2$s", "a")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lockKeysAreValidatedAndHashTagged() {
        assertThat(LockKey.of("job:42", "app:").redisKey()).isEqualTo("app:{job:42}");
        assertThatThrownBy(() -> LockKey.of("a\u0007b", "p")).hasMessageContaining("U+0007 at index 1");
    }
}
