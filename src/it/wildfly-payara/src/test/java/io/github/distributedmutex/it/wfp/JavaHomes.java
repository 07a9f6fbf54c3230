package io.github.distributedmutex.it.wfp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the JDKs the servers run on, at run time. WildFly and Open Liberty run on the JDK running the test
 * unless told otherwise. Payara Micro 7 needs Java 21+, while the build
 * may run on Java 17: {@code PAYARA_JAVA_HOME} (environment) or {@code -Dpayara.java.home} wins;
 * otherwise the JDK running the test when it is 21+; otherwise the newest JDK 21+ found beside it
 * (the siblings of {@code java.home}, of {@code JAVA_HOME}) or in the usual JDK folders.
 */
final class JavaHomes {

    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"?([0-9][0-9._+a-zA-Z-]*)\"?");

    private JavaHomes() {
    }

    /** @return the JDK for WildFly: {@code WILDFLY_JAVA_HOME} or {@code -Dwildfly.java.home}, else the running JDK */
    static Path wildFly() {
        String explicit = firstNonBlank(System.getProperty("wildfly.java.home"), System.getenv("WILDFLY_JAVA_HOME"));
        if (explicit != null) {
            return checked(Path.of(explicit), 17, "WILDFLY_JAVA_HOME / -Dwildfly.java.home");
        }
        return Path.of(System.getProperty("java.home"));
    }

    /** @return the JDK for Open Liberty: {@code LIBERTY_JAVA_HOME} or {@code -Dliberty.java.home}, else the running JDK */
    static Path liberty() {
        String explicit = firstNonBlank(System.getProperty("liberty.java.home"), System.getenv("LIBERTY_JAVA_HOME"));
        if (explicit != null) {
            return checked(Path.of(explicit), 17, "LIBERTY_JAVA_HOME / -Dliberty.java.home");
        }
        return Path.of(System.getProperty("java.home"));
    }

    /** @return a JDK 21+ for Payara Micro */
    static Path payara() {
        String explicit = firstNonBlank(System.getProperty("payara.java.home"), System.getenv("PAYARA_JAVA_HOME"));
        if (explicit != null) {
            return checked(Path.of(explicit), 21, "PAYARA_JAVA_HOME / -Dpayara.java.home");
        }
        if (Runtime.version().feature() >= 21) {
            return Path.of(System.getProperty("java.home"));
        }
        Set<Path> roots = new LinkedHashSet<>();
        addParent(roots, System.getProperty("java.home"));
        addParent(roots, System.getenv("JAVA_HOME"));
        roots.add(Path.of("/usr/lib/jvm"));
        roots.add(Path.of("/usr/java"));
        roots.add(Path.of("/opt/java"));
        roots.add(Path.of("/opt"));
        String userHome = System.getProperty("user.home");
        if (userHome != null) {
            roots.add(Path.of(userHome, ".sdkman", "candidates", "java"));
            roots.add(Path.of(userHome, ".jdks"));
        }
        List<Candidate> found = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> children = Files.list(root)) {
                children.forEach(child -> {
                    try {
                        Path real = child.toRealPath();
                        if (seen.add(real)) {
                            version(real).filter(v -> v >= 21 && Files.isExecutable(real.resolve("bin/java")))
                                    .ifPresent(v -> found.add(new Candidate(real, v)));
                        }
                    } catch (IOException ignored) {
                        // broken link or unreadable: not a candidate
                    }
                });
            } catch (IOException ignored) {
                // unreadable folder
            }
        }
        return found.stream()
                .max(Comparator.comparingInt(Candidate::feature).thenComparing(c -> c.home().toString()))
                .map(Candidate::home)
                .orElseThrow(() -> new IllegalStateException("Payara Micro 7 needs a JDK 21 or newer, the test runs on "
                        + Runtime.version() + " and none was found in " + roots
                        + ". Install one, or point PAYARA_JAVA_HOME at it (mvn ... with PAYARA_JAVA_HOME=/path/to/jdk)."));
    }

    private record Candidate(Path home, int feature) {
    }

    private static Path checked(Path home, int minimum, String source) {
        Optional<Integer> version = version(home);
        if (!Files.isExecutable(home.resolve("bin/java")) || version.isEmpty() || version.get() < minimum) {
            throw new IllegalStateException(source + " = " + home + " is not a JDK " + minimum
                    + "+ (no bin/java, or its release file says " + version.map(String::valueOf).orElse("nothing") + ")");
        }
        return home;
    }

    /** @return the feature version that the JDK's {@code release} file names */
    static Optional<Integer> version(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) {
            return Optional.empty();
        }
        try {
            Matcher m = JAVA_VERSION.matcher(Files.readString(release));
            if (!m.find()) {
                return Optional.empty();
            }
            String[] parts = m.group(1).split("[._+-]");
            int first = Integer.parseInt(parts[0]);
            return Optional.of(first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void addParent(Set<Path> roots, String home) {
        if (home != null && !home.isBlank()) {
            Path parent = Path.of(home).toAbsolutePath().getParent();
            if (parent != null) {
                roots.add(parent);
            }
        }
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
