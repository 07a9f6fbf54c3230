package io.github.distributedmutex.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationParserTest {

    @ParameterizedTest
    @CsvSource({"250ms,250", "5s,5000", "1m,60000", "2h,7200000", "1d,86400000", "0,0", "0s,0", "PT5S,5000",
        "pt0.5s,500", " 10s ,10000", "PT1M30S,90000", "5S,5000", "3 s,3000"})
    void parsesTheDocumentedForms(String text, long millis) {
        assertThat(DurationParser.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "5", "-5s", "5 seconds", "1.5s", "PT-5S", "P", "5sm", "s"})
    void rejectsAnythingElseQuotingTheValue(String text) {
        assertThatThrownBy(() -> DurationParser.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'").hasMessageContaining("250ms, 5s");
    }

    @ParameterizedTest
    @ValueSource(strings = {"5"})
    void saysWhenTheUnitIsMissing(String text) {
        assertThatThrownBy(() -> DurationParser.parse(text)).hasMessageContaining("unit is missing");
    }
}
