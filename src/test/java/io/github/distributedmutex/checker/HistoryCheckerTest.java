package io.github.distributedmutex.checker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker on hand-made histories: it reports a clean history as clean and detects each kind of
 * violation (an overlap, a lost update, a token inversion), and it counts an overlap that only exists
 * after a lease ran out as unprotected, not as a violation.
 */
class HistoryCheckerTest {

    private static final long LEASE = 30_000_000_000L;
    private static final Map<String, Integer> TWO_WORKERS = Map.of("p1", 2, "p2", 2);

    @Test
    void aCleanHistoryIsReportedClean() {
        List<Section> sections = List.of(
                section("p1", "t0", "acct:0", 10, 0, 100, 200, 0),
                section("p2", "t1", "acct:0", 20, 50, 210, 300, 1),
                section("p1", "t1", "acct:0", 30, 60, 300, 400, 2), // starts when the previous one ends: touching
                lease("p2", "t0", "acct:1", 15, 0, 150, 250, 0));

        CheckResult result = HistoryChecker.check(History.of(sections, List.of(), TWO_WORKERS),
                Map.of("acct:0", 3L, "acct:1", 1L));

        assertThat(result.clean()).isTrue();
        assertThat(result.violations()).isZero();
        assertThat(result.unprotectedSections()).isZero();
        assertThat(result.unprotectedAnomalies()).isZero();
        assertThat(result.operationsByProcess()).isEqualTo(Map.of("p1", 2, "p2", 2));
        assertThat(result.summary()).isEqualTo("checker: 4 operations (3 @Locked, 1 Lease), 2 keys, "
                + "2 processes x 2 threads, 0 overlaps, 0 lost updates, 0 token order violations, "
                + "0 failed acquisitions, 0 unprotected sections (0.0 s)");
    }

    @Test
    void twoSectionsHoldingOneKeyAtOnceAreAnOverlap() {
        // counters and tokens consistent, so that the overlap is the only thing wrong
        List<Section> sections = List.of(
                section("p1", "t0", "acct:0", 10, 0, 100, 200, 0),
                section("p2", "t0", "acct:0", 20, 0, 150, 250, 1),
                section("p2", "t1", "acct:1", 30, 0, 150, 250, 0));

        CheckResult result = HistoryChecker.check(History.of(sections, List.of(), TWO_WORKERS),
                Map.of("acct:0", 2L, "acct:1", 1L));

        assertThat(result.overlaps()).isEqualTo(1);
        assertThat(result.lostUpdates()).isZero();
        assertThat(result.tokenOrderViolations()).isZero();
        assertThat(result.clean()).isFalse();
        assertThat(result.examples()).singleElement().asString()
                .startsWith("OVERLAP on acct:0: p1/t0").contains("p2/t0");
        assertThat(result.summary()).contains(", 1 overlaps, 0 lost updates,");
    }

    @Test
    void aSectionThatReadAStaleCounterIsALostUpdate() {
        List<Section> sections = List.of(
                section("p1", "t0", "acct:0", 10, 0, 100, 200, 0),
                section("p2", "t0", "acct:0", 20, 0, 300, 400, 0), // read 0 although the previous one wrote 1
                section("p1", "t0", "acct:0", 30, 0, 500, 600, 1));

        CheckResult result = HistoryChecker.check(History.of(sections, List.of(), TWO_WORKERS), Map.of("acct:0", 2L));

        assertThat(result.lostUpdates()).as("one break; the final counter it explains is not counted again").isEqualTo(1);
        assertThat(result.overlaps()).isZero();
        assertThat(result.tokenOrderViolations()).isZero();
        assertThat(result.examples()).singleElement().asString()
                .startsWith("LOST UPDATE on acct:0: p2/t0").contains("the section before it wrote 1");
    }

    @Test
    void aFinalCounterThatDisagreesWithAnUnbrokenHistoryIsALostUpdate() {
        List<Section> sections = List.of(
                section("p1", "t0", "acct:0", 10, 0, 100, 200, 0),
                section("p2", "t0", "acct:0", 20, 0, 300, 400, 1));
        History history = History.of(sections, List.of(), TWO_WORKERS);

        assertThat(HistoryChecker.check(history, Map.of("acct:0", 1L)).lostUpdates()).as("last write lost").isEqualTo(1);
        assertThat(HistoryChecker.check(history, Map.of("acct:0", 2L, "acct:1", 4L)).lostUpdates())
                .as("a counter written by nobody in the history").isEqualTo(1);
        assertThat(HistoryChecker.check(history, Map.of("acct:0", 2L)).clean()).isTrue();
        CheckResult offline = HistoryChecker.check(history, null);
        assertThat(offline.clean()).isTrue();
        assertThat(offline.summary()).contains("final counters not checked");
    }

    @Test
    void aTokenNotGreaterThanThePreviousSectionsIsATokenOrderViolation() {
        List<Section> sections = List.of(
                section("p1", "t0", "acct:0", 30, 0, 100, 200, 0),
                lease("p2", "t0", "acct:0", 20, 0, 300, 400, 1),   // lower
                section("p1", "t1", "acct:0", 20, 0, 500, 600, 2), // equal
                section("p1", "t1", "acct:0", 40, 0, 700, 800, 3));

        CheckResult result = HistoryChecker.check(History.of(sections, List.of(), TWO_WORKERS), Map.of("acct:0", 4L));

        assertThat(result.tokenOrderViolations()).isEqualTo(2);
        assertThat(result.overlaps()).isZero();
        assertThat(result.lostUpdates()).isZero();
        assertThat(result.examples()).first().asString().startsWith("TOKEN ORDER on acct:0: p2/t0 LEASE token 20");
    }

    @Test
    void anOverlapAfterTheLeaseBoundIsUnprotectedNotAViolation() {
        long shortLease = 1_000;
        // p1 asked at 0, so its lease certainly held until 1000; it ran on until 5000. p2 started at 2000.
        Section stale = new Section("p1", "t0", "acct:0", Section.Mode.LEASE, 10, shortLease, 0, 10, 5_000, 0, 1);
        Section next = new Section("p2", "t0", "acct:0", Section.Mode.LEASE, 20, shortLease, 1_500, 2_000, 2_500, 0, 1);

        CheckResult result = HistoryChecker.check(History.of(List.of(stale, next), List.of(), TWO_WORKERS),
                Map.of("acct:0", 1L));

        assertThat(result.overlaps()).isZero();
        assertThat(result.lostUpdates()).isZero();
        assertThat(result.violations()).isZero();
        assertThat(result.unprotectedSections()).isEqualTo(1);
        assertThat(result.unprotectedAnomalies()).as("the overlap and the counter break it caused").isEqualTo(2);
        assertThat(result.clean()).as("the lock kept its promise; fencing is what protects this").isTrue();
        assertThat(result.summary()).contains("0 overlaps", "1 unprotected sections with 2 anomalies");
    }

    @Test
    void anOverlapBeforeTheLeaseBoundIsAViolationEvenIfTheSectionRanLonger() {
        long shortLease = 1_000;
        // p2 got the key at 500, while p1's lease (asked at 0) was certainly still valid until 1000
        Section first = new Section("p1", "t0", "acct:0", Section.Mode.LEASE, 10, shortLease, 0, 10, 5_000, 0, 1);
        Section second = new Section("p2", "t0", "acct:0", Section.Mode.LEASE, 20, shortLease, 400, 500, 600, 1, 2);

        CheckResult result = HistoryChecker.check(History.of(List.of(first, second), List.of(), TWO_WORKERS),
                Map.of("acct:0", 2L));

        assertThat(result.overlaps()).isEqualTo(1);
        assertThat(result.clean()).isFalse();
    }

    @Test
    void failedAcquisitionsAreCountedAndSpoilACleanRun() {
        List<Section> sections = List.of(section("p1", "t0", "acct:0", 10, 0, 100, 200, 0));
        List<FailedAcquisition> failures = List.of(new FailedAcquisition("p2", "t0", "acct:0", Section.Mode.ANNOTATION,
                0, 5_000, "LockNotAcquiredException"));

        CheckResult result = HistoryChecker.check(History.of(sections, failures, TWO_WORKERS), Map.of("acct:0", 1L));

        assertThat(result.violations()).isZero();
        assertThat(result.failedAcquisitions()).isEqualTo(1);
        assertThat(result.clean()).isFalse();
        assertThat(result.operationsByProcess()).isEqualTo(Map.of("p1", 1, "p2", 0));
    }

    @Test
    void historyFilesRoundTripAndAnIncompleteOrMissingFileIsAProblem(@TempDir Path directory) throws IOException {
        List<Section> sections = List.of(
                section("p1", "t0", "acct:0", 10, 0, 100, 200, 0),
                lease("p1", "t1", "acct:0", 20, 0, 300, 400, 1));
        List<FailedAcquisition> failures = List.of(new FailedAcquisition("p1", "t1", "acct:1", Section.Mode.LEASE,
                0, 5_000, "LockUnavailableException"));
        Path complete = directory.resolve("p1.history");
        History.write(complete, "p1", 2, sections, failures, List.of());

        History read = History.read(List.of(complete));
        assertThat(read.sections()).isEqualTo(sections);
        assertThat(read.failures()).isEqualTo(failures);
        assertThat(read.threadsByProcess()).isEqualTo(Map.of("p1", 2));
        assertThat(read.problems()).isEmpty();

        Path truncated = directory.resolve("p2.history");
        History.write(truncated, "p2", 2, List.of(section("p2", "t0", "acct:1", 5, 0, 100, 200, 0)), List.of(),
                List.of("thread t1 stopped:\tboom"));
        List<String> lines = new ArrayList<>(Files.readAllLines(truncated, StandardCharsets.UTF_8));
        lines.remove(lines.size() - 1);
        Files.write(truncated, lines, StandardCharsets.UTF_8);

        History all = History.read(List.of(complete, truncated, directory.resolve("p3.history")));
        assertThat(all.problems()).hasSize(3).anySatisfy(problem -> assertThat(problem).contains("incomplete"))
                .anySatisfy(problem -> assertThat(problem).isEqualTo("worker p2: thread t1 stopped: boom"))
                .anySatisfy(problem -> assertThat(problem).contains("p3.history could not be read"));
        CheckResult result = HistoryChecker.check(all, null);
        assertThat(result.violations()).isZero();
        assertThat(result.clean()).isFalse();
        assertThat(result.summary()).contains("3 problems");
    }

    /** A section through {@code @Locked} that wrote {@code read + 1}. */
    private static Section section(String process, String thread, String key, long token, long request, long start,
                                   long end, long read) {
        return new Section(process, thread, key, Section.Mode.ANNOTATION, token, LEASE, request, start, end, read,
                read + 1);
    }

    /** A section through a {@code Lease} that wrote {@code read + 1}. */
    private static Section lease(String process, String thread, String key, long token, long request, long start,
                                 long end, long read) {
        return new Section(process, thread, key, Section.Mode.LEASE, token, LEASE, request, start, end, read, read + 1);
    }
}
