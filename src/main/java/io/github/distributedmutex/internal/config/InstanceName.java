package io.github.distributedmutex.internal.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * The rule for the name of this application instance ({@code distributedmutex.instance-name}),
 * which starts every owner id the adapter writes into Redis, and its default: the process id and
 * the host name, {@code <pid>@<host>} like the JVM's own runtime name ({@code 12345@web-1}).
 *
 * <p>A name is not blank, at most {@value #MAX_LENGTH} characters, and has no whitespace and no
 * control characters (owner ids stay one token in log lines and in {@code redis-cli} output). Any
 * other character is allowed, separators such as {@code ':'}, {@code '#'}, {@code '/'} or braces
 * included: owner ids are read from the right (see {@code internal.redis.OwnerId}), so the name
 * needs no escaping.
 */
public final class InstanceName {

    /** The longest instance name accepted, in characters. */
    public static final int MAX_LENGTH = 255;

    private static volatile String defaultName;

    private InstanceName() {
    }

    /**
     * @param name an instance name
     * @return the name
     * @throws NullPointerException     when {@code name} is null
     * @throws IllegalArgumentException when it is blank, too long, or contains whitespace or a
     *                                  control character; the message says which
     */
    public static String check(String name) {
        Objects.requireNonNull(name, "instance name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("the instance name must not be blank");
        }
        if (name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the instance name is " + name.length() + " characters long, the"
                    + " maximum is " + MAX_LENGTH);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSpaceChar(c)) {
                throw new IllegalArgumentException("the instance name contains the " + (Character.isISOControl(c)
                        ? "control" : "whitespace") + " character U+" + String.format("%04X", (int) c) + " at index "
                        + i + "; it must be one token, for example web-1 or 12345@web-1");
            }
        }
        return name;
    }

    /**
     * @return {@code <pid>@<host name>}, computed once per JVM; the host name comes from
     *         {@link InetAddress#getLocalHost()}, else the {@code HOSTNAME} or {@code COMPUTERNAME}
     *         environment variable, else {@code localhost}
     */
    public static String defaultName() {
        String name = defaultName;
        if (name == null) {
            name = ProcessHandle.current().pid() + "@" + hostName();
            name = check(name.length() > MAX_LENGTH ? name.substring(0, MAX_LENGTH) : name);
            defaultName = name;
        }
        return name;
    }

    private static String hostName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException | SecurityException e) {
            host = System.getenv("HOSTNAME");
            if (host == null || host.isBlank()) {
                host = System.getenv("COMPUTERNAME");
            }
        }
        if (host == null || host.isBlank()) {
            return "localhost";
        }
        // whatever the platform returns, the default stays a valid name
        StringBuilder cleaned = new StringBuilder(host.length());
        host.strip().codePoints().forEach(c -> cleaned.appendCodePoint(
                Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSpaceChar(c) ? '_' : c));
        return cleaned.toString();
    }
}
