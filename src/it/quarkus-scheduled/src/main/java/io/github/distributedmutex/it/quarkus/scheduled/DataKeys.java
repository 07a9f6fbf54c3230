package io.github.distributedmutex.it.quarkus.scheduled;

/** Redis keys of the application's own data (not the library's), shared with the test; {@code run} names one test run. */
public final class DataKeys {

    private DataKeys() {
    }

    /** @return the set of instance names that have started */
    public static String started(String run) {
        return "quarkus-scheduled-it:" + run + ":started";
    }

    /** @return the hash from tick to the number of runs of {@code job} in that tick */
    public static String tickRuns(String run, String job) {
        return "quarkus-scheduled-it:" + run + ":ticks:" + job;
    }

    /** @return the list of {@code <tick> <instance> <micros>} lines of {@code job} */
    public static String tickLog(String run, String job) {
        return "quarkus-scheduled-it:" + run + ":ticklog:" + job;
    }
}
