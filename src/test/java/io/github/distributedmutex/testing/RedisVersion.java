package io.github.distributedmutex.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version of a Redis server, as {@code redis-server --version} ({@code v=7.0.15}) or {@code INFO server}
 * ({@code redis_version:7.0.15}) reports it, for tests that pin behaviour that differs between versions and for
 * the harness's {@value RedisServerProcess#EXPECT_VERSION_PROPERTY} check.
 *
 * @param major the major version, 7 for 7.0.15
 * @param minor the minor version, 0 for 7.0.15
 * @param text  the version as reported, for example {@code 7.0.15}
 */
public record RedisVersion(int major, int minor, String text) {

    private static final Pattern NUMBERS = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.\\d+)*$");
    private static final Pattern IN_VERSION_OUTPUT = Pattern.compile("\\bv=(\\d+\\.\\d+(?:\\.\\d+)*)");
    private static final Pattern IN_INFO = Pattern.compile("(?m)^redis_version:(\\S+)");

    /**
     * @param text a version such as {@code 7.0.15} or {@code 6.2}
     * @return the parsed version
     * @throws IllegalArgumentException if {@code text} is not {@code <major>.<minor>[.<patch>...]}
     */
    public static RedisVersion parse(String text) {
        Matcher matcher = NUMBERS.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("Not a Redis version: '" + text + "'");
        }
        return new RedisVersion(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)), text.trim());
    }

    /**
     * @param output the output of {@code redis-server --version}, for example
     *               {@code Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=...}
     * @return the version it reports
     * @throws IllegalArgumentException if the output carries no {@code v=<version>}
     */
    public static RedisVersion fromVersionOutput(String output) {
        Matcher matcher = IN_VERSION_OUTPUT.matcher(output);
        if (!matcher.find()) {
            throw new IllegalArgumentException("No v=<version> in the output of redis-server --version: " + output);
        }
        return parse(matcher.group(1));
    }

    /**
     * @param info the reply to {@code INFO server}
     * @return the version in its {@code redis_version} field
     * @throws IllegalArgumentException if there is no {@code redis_version} field
     */
    public static RedisVersion fromInfo(String info) {
        Matcher matcher = IN_INFO.matcher(info);
        if (!matcher.find()) {
            throw new IllegalArgumentException("No redis_version field in INFO server: " + info);
        }
        return parse(matcher.group(1));
    }

    /**
     * @param major a major version
     * @param minor a minor version
     * @return whether this version is {@code major.minor} or later
     */
    public boolean atLeast(int major, int minor) {
        return this.major > major || (this.major == major && this.minor >= minor);
    }

    @Override
    public String toString() {
        return text;
    }
}
