package io.github.distributedmutex.checker;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The history of a run: every critical section and failed acquisition of every worker, which
 * workers completed their history (and with how many threads), and the problems workers or the
 * reader found. It is also the history file format, one file per worker process:
 *
 * <pre>
 * # distributed-mutex checker history v1
 * S  process thread key mode token leaseNanos requestNanos startNanos endNanos counterRead counterWritten
 * F  process thread key mode requestNanos failedNanos exceptionSimpleName
 * P  process message                                   (a problem the worker hit, e.g. a crashed thread)
 * E  process threads sections failures                  (last line: the file is complete)
 * </pre>
 *
 * <p>Fields are separated by one tab. A file without its {@code E} line, or whose {@code E} counts do
 * not match its lines, is reported as a problem rather than silently checked as if complete.
 *
 * @param sections         every critical section, in no particular order
 * @param failures         every failed acquisition
 * @param threadsByProcess worker processes that completed their history, with their thread count
 * @param problems         what went wrong while the history was produced or read; empty in a clean run
 */
public record History(List<Section> sections, List<FailedAcquisition> failures,
                      Map<String, Integer> threadsByProcess, List<String> problems) {

    private static final String HEADER = "# distributed-mutex checker history v1";
    private static final String PROBLEM_TAG = "P";
    private static final String END_TAG = "E";

    /** Copies the collections. */
    public History {
        sections = List.copyOf(sections);
        failures = List.copyOf(failures);
        threadsByProcess = Map.copyOf(threadsByProcess);
        problems = List.copyOf(problems);
    }

    /**
     * A history of completed workers, without problems, for synthetic histories in tests.
     *
     * @param sections         the sections
     * @param failures         the failed acquisitions
     * @param threadsByProcess the workers and their thread counts
     * @return the history
     */
    public static History of(List<Section> sections, List<FailedAcquisition> failures,
                             Map<String, Integer> threadsByProcess) {
        return new History(sections, failures, threadsByProcess, List.of());
    }

    /**
     * Writes one worker's history file (replacing it), ending with the {@code E} line, and forces it
     * to disk.
     *
     * @param file     where to write
     * @param process  the worker's name
     * @param threads  how many threads the worker ran
     * @param sections its sections
     * @param failures its failed acquisitions
     * @param problems problems it hit
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void write(Path file, String process, int threads, List<Section> sections,
                             List<FailedAcquisition> failures, List<String> problems) {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write(HEADER);
            out.newLine();
            for (Section section : sections) {
                out.write(section.toLine());
                out.newLine();
            }
            for (FailedAcquisition failure : failures) {
                out.write(failure.toLine());
                out.newLine();
            }
            for (String problem : problems) {
                out.write(String.join("\t", PROBLEM_TAG, process, oneLine(problem)));
                out.newLine();
            }
            out.write(String.join("\t", END_TAG, process, Integer.toString(threads),
                    Integer.toString(sections.size()), Integer.toString(failures.size())));
            out.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the history " + file, e);
        }
    }

    /**
     * Reads history files. A missing, unreadable, malformed or incomplete file becomes a problem of the
     * returned history (whatever could be read of it is kept), so the caller always gets a verdict.
     *
     * @param files the files, one per worker
     * @return the merged history
     */
    public static History read(Collection<Path> files) {
        List<Section> sections = new ArrayList<>();
        List<FailedAcquisition> failures = new ArrayList<>();
        Map<String, Integer> threads = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            readFile(Objects.requireNonNull(file, "file"), sections, failures, threads, problems);
        }
        return new History(sections, failures, threads, problems);
    }

    private static void readFile(Path file, List<Section> sections, List<FailedAcquisition> failures,
                                 Map<String, Integer> threads, List<String> problems) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            problems.add("history " + file + " could not be read: " + e);
            return;
        }
        int sectionLines = 0;
        int failureLines = 0;
        boolean ended = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file.getFileName() + ":" + (i + 1);
            if (ended) {
                problems.add(where + ": line after the end line");
                continue;
            }
            String[] fields = line.split("\t", -1);
            try {
                switch (fields[0]) {
                    case Section.TAG -> {
                        sections.add(Section.fromFields(fields));
                        sectionLines++;
                    }
                    case FailedAcquisition.TAG -> {
                        failures.add(FailedAcquisition.fromFields(fields));
                        failureLines++;
                    }
                    case PROBLEM_TAG -> problems.add("worker " + fields[1] + ": "
                            + String.join(" ", List.of(fields).subList(2, fields.length)));
                    case END_TAG -> {
                        ended = true;
                        if (fields.length != 5) {
                            throw new IllegalArgumentException("malformed end line");
                        }
                        if (Integer.parseInt(fields[3]) != sectionLines || Integer.parseInt(fields[4]) != failureLines) {
                            problems.add(where + ": the end line counts " + fields[3] + " sections and " + fields[4]
                                    + " failures, the file has " + sectionLines + " and " + failureLines);
                        }
                        if (threads.put(fields[1], Integer.parseInt(fields[2])) != null) {
                            problems.add(where + ": a second history of process " + fields[1]);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown line tag '" + fields[0] + "'");
                }
            } catch (IllegalArgumentException e) { // NumberFormatException included
                problems.add(where + ": " + e.getMessage());
            }
        }
        if (!ended) {
            problems.add("history " + file + " is incomplete: no end line (did the worker die?)");
        }
    }

    private static String oneLine(String text) {
        return text.replaceAll("[\\t\\r\\n]+", " ");
    }
}
