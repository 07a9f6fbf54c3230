package io.github.distributedmutex.it.wfp;

/** Redis keys of the application's own data (not the library's), shared with the test. */
public final class DataKeys {

    private DataKeys() {
    }

    /** @return the counter that {@link JobService#work} increments non-atomically */
    public static String counter(String jobId) {
        return "wfp-it:counter:" + jobId;
    }

    /** @return the number of calls inside the locked method right now (INCR on entry, DECR after commit) */
    public static String holders(String jobId) {
        return "wfp-it:holders:" + jobId;
    }

    /** @return the hash from tick to the number of runs of timer job {@code job} in that tick */
    public static String tickRuns(String job) {
        return "wfp-it:ticks:" + job;
    }

    /** @return the list of {@code <tick> <server> <micros>} lines of timer job {@code job} */
    public static String tickLog(String job) {
        return "wfp-it:ticklog:" + job;
    }

    /**
     * @return the list of {@code <tick> <server> <micros> <lock key existed> <inside the starting call> <thread>}
     *         lines, one per
     *         execution of scheduled job {@code job} that reached {@link TickProbeInterceptor}, skipped or not
     */
    public static String tickAttempts(String job) {
        return "wfp-it:attempts:" + job;
    }

    /** @return the flag that makes {@link RunAtJobs#lockedFuture()} end its schedule */
    public static String runAtStop() {
        return "wfp-it:runat:stop";
    }
}
