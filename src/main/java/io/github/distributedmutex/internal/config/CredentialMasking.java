package io.github.distributedmutex.internal.config;

import java.util.regex.Pattern;

/**
 * Removes credentials from text before it reaches a log line or an exception message: the
 * user-info part of URIs ({@code redis://user:secret@host} becomes {@code redis://***@host}).
 */
public final class CredentialMasking {

    private static final Pattern USER_INFO = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)[^@/\\s]*@");

    private CredentialMasking() {
    }

    /**
     * @param text any text, may be null
     * @return the text with the user-info of every URI in it replaced by {@code ***}
     */
    public static String maskUri(String text) {
        if (text == null) {
            return null;
        }
        return USER_INFO.matcher(text).replaceAll("$1***@");
    }

    /**
     * @param text any text, may be null
     * @return whether {@link #maskUri(String)} would change it
     */
    public static boolean containsCredentials(String text) {
        return text != null && USER_INFO.matcher(text).find();
    }
}
