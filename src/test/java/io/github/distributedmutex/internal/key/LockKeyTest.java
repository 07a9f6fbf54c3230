package io.github.distributedmutex.internal.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mapping of lock keys to Redis key names: the whole key is the Redis Cluster hash tag of its
 * Redis key, whatever braces it contains, and the mapping is injective.
 */
class LockKeyTest {

    private static final String PREFIX = "app:";
    private static final List<String> TRICKY_NAMES = List.of("}", "}}", "}x", "x}", "a}b", "a}b{c", "{x}", "{x", "{",
            "{}", "}{", "job:{42}", "job:{42", "job:42}", "a}}b", "a}b}");

    /** The hash tag Redis Cluster hashes: from the first '{' to the first '}' after it, if not empty. */
    private static String hashTag(String redisKey) {
        int open = redisKey.indexOf('{');
        int close = open < 0 ? -1 : redisKey.indexOf('}', open + 1);
        return close > open + 1 ? redisKey.substring(open + 1, close) : null;
    }

    @Test
    void aKeyWithoutClosingBraceIsItsOwnHashTagUnchanged() {
        assertThat(LockKey.of("job:42", PREFIX).redisKey()).isEqualTo("app:{job:42}");
        assertThat(LockKey.of("job:{42", PREFIX).redisKey()).isEqualTo("app:{job:{42}");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"}", "}}", "}x", "x}", "a}b", "a}b{c", "{x}", "{}", "}{", "job:{42}", "a}}b"})
    void theWholeEncodedKeyIsTheHashTagAndCompanionKeysShareIt(String name) {
        String redisKey = LockKey.of(name, PREFIX).redisKey();

        assertThat(redisKey).startsWith(PREFIX + "{").endsWith("}");
        String encoded = redisKey.substring(PREFIX.length() + 1, redisKey.length() - 1);
        assertThat(encoded).doesNotContain("}").hasSameSizeAs(name);
        assertThat(hashTag(redisKey)).as("hash tag of %s", redisKey).isEqualTo(encoded);
        assertThat(hashTag(redisKey + ":abandoned:owner-1")).isEqualTo(encoded);
    }

    @Test
    void distinctKeysGetDistinctRedisKeys() {
        Set<String> redisKeys = TRICKY_NAMES.stream().map(name -> LockKey.of(name, PREFIX).redisKey())
                .collect(Collectors.toSet());
        assertThat(redisKeys).hasSameSizeAs(TRICKY_NAMES);
    }

    @Test
    void noValidKeyContainsTheSubstituteOfTheClosingBrace() {
        assertThatThrownBy(() -> LockKey.of("a" + LockKey.CLOSE_BRACE_SUBSTITUTE + "b", PREFIX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("control character U+001A");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"app{", "app}", "{}", "a{b}:"})
    void aPrefixWithABraceIsRejected(String prefix) {
        assertThatThrownBy(() -> LockKey.checkPrefix(prefix))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not contain braces");
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", "app:", "distributedmutex:", "a[b]:"})
    void aPrefixWithoutBracesIsAccepted(String prefix) {
        assertThatCode(() -> LockKey.checkPrefix(prefix)).doesNotThrowAnyException();
    }

    /** The slot is Redis's: CRC16 (XMODEM) of the hash tag, which is the whole (encoded) key, modulo 16384. */
    @Test
    void theSlotIsTheRedisClusterSlotOfTheWholeKey() {
        assertThat(LockKey.of("123456789", "p:").slot()).as("the CRC16 check value 0x31C3").isEqualTo(0x31C3);
        assertThat(LockKey.of("foo", "p:").slot()).as("CLUSTER KEYSLOT foo").isEqualTo(12182);
        assertThat(LockKey.of("foo", "another-prefix:").slot()).as("the prefix is not hashed").isEqualTo(12182);
    }

    @Test
    void theCanonicalOrderIsBySlotThenByBytes() {
        List<LockKey> keys = new ArrayList<>(List.of(LockKey.of("foo", "p:"), LockKey.of("123456789", "p:"),
                LockKey.of("b", "p:"), LockKey.of("a", "p:")));
        keys.sort(LockKey.CANONICAL_ORDER);
        // slots: b 3300, foo 12182, 123456789 12739, a 15495 (not the order of the names' bytes)
        assertThat(keys).extracting(LockKey::name).containsExactly("b", "foo", "123456789", "a");
    }
}
