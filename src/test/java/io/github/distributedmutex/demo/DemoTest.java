package io.github.distributedmutex.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestRedis;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the demo the way {@code mvn -q -Pdemo verify} does (the launcher starts separate JVMs running
 * Weld SE and the library), smaller: 2 instances and 12 jobs against the shared test Redis, and
 * checks its verdict, so the README's first command cannot rot unnoticed.
 */
@SlowTest
class DemoTest {

    @Test
    @Timeout(120)
    void twoInstancesRunEachJobExactlyOnceWithoutOverlap() {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        DemoReport report;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            report = Demo.run(TestRedis.address(), new Demo.Options(2, 12, Duration.ofSeconds(90)), out);
        }
        String printed = output.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(report.problems()).as("problems found by the demo; its output:%n%s", printed).isEmpty();
        assertThat(report.verdict())
                .isEqualTo("OK: 12 jobs, 2 instances, each job ran exactly once, no overlap");
        assertThat(report.executions()).hasSize(12)
                .allSatisfy((job, instances) -> assertThat(instances).as("instances that ran job %d", job).hasSize(1));
        assertThat(report.overlaps()).isZero();
        assertThat(printed)
                .contains("[instance-1] finished:", "[instance-2] finished:")
                .contains("Nightly report: ran once")
                .endsWith(report.verdict() + System.lineSeparator());
    }

    @Test
    void theReportFlagsAJobThatRanTwiceAndOverlappingHolds() {
        // Hand-made history of a broken lock: both instances held job:1 at the same time and both ran it.
        List<HistoryRecord> history = List.of(
                new HistoryRecord("instance-1", "job:1", 1, HistoryRecord.Outcome.RAN, -1, 100, 110, 200, 10),
                new HistoryRecord("instance-2", "job:1", 1, HistoryRecord.Outcome.RAN, -1, 105, 150, 250, 45),
                new HistoryRecord("instance-1", NightlyReport.LOCK_KEY, 0, HistoryRecord.Outcome.RAN, 7, 1, 2, 3, 1),
                new HistoryRecord("instance-2", NightlyReport.LOCK_KEY, 0, HistoryRecord.Outcome.BUSY, -1, 1, 0, 0, 1));

        DemoReport report = DemoReport.analyse(history, List.of("instance-1", "instance-2"), 1, 1, List.of());

        assertThat(report.ok()).isFalse();
        assertThat(report.overlaps()).isEqualTo(1);
        assertThat(report.verdict()).startsWith("FAILED: ")
                .contains("job 1 ran 2 times (instance-1, instance-2)")
                .contains("lock job:1 was held by instance-1 and instance-2 at the same time");
    }

    @Test
    void historyRecordsSurviveTheirRedisEncoding() {
        HistoryRecord record = new HistoryRecord("instance-3", "job:17", 17, HistoryRecord.Outcome.ALREADY_DONE,
                -1, 1_795_743_800_634_267L, 1_795_743_800_634_300L, 1_795_743_800_634_900L, 33);

        assertThat(HistoryRecord.decode(record.encode())).isEqualTo(record);
    }
}
