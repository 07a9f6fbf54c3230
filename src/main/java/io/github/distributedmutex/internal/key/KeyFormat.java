package io.github.distributedmutex.internal.key;

import java.util.IllegalFormatException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Formats keys for {@code acquiref}/{@code releasef} with {@code String.format(Locale.ROOT, ...)},
 * and rejects a format that does not use exactly its arguments (which {@code String.format}
 * silently accepts when there are too many): two calls with mismatched arguments would otherwise
 * lock different keys than the author meant.
 */
public final class KeyFormat {

    /** The specifier syntax of {@link java.util.Formatter}. */
    private static final Pattern SPECIFIER =
            Pattern.compile("%(\\d+\\$)?([-#+ 0,(<]*)?(\\d+)?(\\.\\d+)?([tT])?([a-zA-Z%])");

    private KeyFormat() {
    }

    /**
     * @param format the format
     * @param args   its arguments
     * @return the formatted key (not yet validated as a key)
     * @throws NullPointerException     when {@code format} or the argument array is null
     * @throws IllegalArgumentException when the format is invalid or does not use exactly its arguments
     */
    public static String format(String format, Object... args) {
        Objects.requireNonNull(format, "key format must not be null");
        Objects.requireNonNull(args, "key format arguments must not be null");
        String result;
        try {
            result = String.format(Locale.ROOT, format, args);
        } catch (IllegalFormatException e) {
            throw new IllegalArgumentException("key format '" + format + "' does not match its " + args.length
                    + " argument(s): " + e.getMessage(), e);
        }
        int used = argumentsUsed(format);
        if (used != args.length) {
            throw new IllegalArgumentException("key format '" + format + "' uses " + used + " argument(s) but "
                    + args.length + " were given");
        }
        return result;
    }

    /** @return how many leading arguments the format refers to (the highest index used) */
    static int argumentsUsed(String format) {
        Matcher matcher = SPECIFIER.matcher(format);
        int ordinary = 0;
        int highest = 0;
        while (matcher.find()) {
            char conversion = matcher.group(6).charAt(0);
            if (conversion == '%' || conversion == 'n') {
                continue;
            }
            String explicit = matcher.group(1);
            String flags = matcher.group(2);
            if (explicit != null) {
                highest = Math.max(highest, Integer.parseInt(explicit.substring(0, explicit.length() - 1)));
            } else if (flags == null || flags.indexOf('<') < 0) {
                ordinary++;
                highest = Math.max(highest, ordinary);
            }
        }
        return highest;
    }
}
