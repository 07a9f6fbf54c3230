package io.github.distributedmutex.internal.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the duration syntax used in configuration and in {@code @Locked}: a non-negative whole
 * number with a unit ({@code 250ms}, {@code 5s}, {@code 1m}, {@code 2h}, {@code 1d}), the bare
 * number {@code 0}, or ISO-8601 ({@code PT5S}, case-insensitive).
 */
public final class DurationParser {

    private static final Pattern SHORT_FORM = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)");

    private DurationParser() {
    }

    /**
     * @param text the duration text
     * @return the parsed duration, never negative
     * @throws IllegalArgumentException when the text is not a valid, non-negative duration; the
     *                                  message quotes the text and shows the accepted forms
     */
    public static Duration parse(String text) {
        Objects.requireNonNull(text, "duration must not be null");
        String trimmed = text.trim();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = SHORT_FORM.matcher(trimmed.toLowerCase(Locale.ROOT));
        Duration result;
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            try {
                result = switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
            } catch (ArithmeticException e) {
                throw invalid(text, "it is too large");
            }
        } else if (trimmed.toUpperCase(Locale.ROOT).startsWith("P")) {
            try {
                result = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw invalid(text, "it is not a valid ISO-8601 duration");
            }
        } else {
            throw invalid(text, trimmed.matches("\\d+") ? "a unit is missing"
                    : trimmed.startsWith("-") ? "it is negative" : "it is not a duration");
        }
        if (result.isNegative()) {
            throw invalid(text, "it is negative");
        }
        return result;
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("'" + text + "' is not a valid duration (" + why
                + "); use a whole number with a unit such as 250ms, 5s, 1m, 2h, 1d, or ISO-8601 such as PT5S");
    }
}
