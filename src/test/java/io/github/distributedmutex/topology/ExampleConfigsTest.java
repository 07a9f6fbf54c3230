package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.redisson.config.Config;

/** The Redisson YAML examples in {@code examples/redisson/} that the README points to parse as written. */
class ExampleConfigsTest {

    @Test
    void everyExampleParsesWithRedisson() throws IOException {
        Path folder = Path.of("examples", "redisson");
        List<Path> examples;
        try (Stream<Path> files = Files.list(folder)) {
            examples = files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(examples).extracting(file -> file.getFileName().toString())
                .contains("single.yaml", "sentinel.yaml", "cluster.yaml", "tls-acl.yaml");
        for (Path example : examples) {
            Config config = Config.fromYAML(Files.readString(example));
            assertThat(config.isClusterConfig() || config.isSentinelConfig() || config.isSingleConfig())
                    .as(example + " configures a topology").isTrue();
        }
    }
}
