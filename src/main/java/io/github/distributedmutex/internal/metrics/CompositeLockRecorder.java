package io.github.distributedmutex.internal.metrics;

import io.github.distributedmutex.internal.redis.LockGauges;
import io.github.distributedmutex.internal.redis.LockRecorder;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports to the application's recorders (Micrometer, OpenTelemetry, or both), each isolated from
 * the others: a recorder that throws (a registry that rejects the library's meters, an API version
 * without a method the recorder links to: any exception or {@link LinkageError}) is logged once at
 * WARN and switched off, so that it is neither retried nor logged on every report, and the others
 * still get every report. {@link #stop()} reaches every recorder, switched off or not, so that each
 * unregisters what it registered (a switched-off one's failure there is logged at DEBUG only). {@link MetricsBackends} always wraps its recorders in one, one
 * recorder included.
 */
final class CompositeLockRecorder implements LockRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(CompositeLockRecorder.class);

    private final LockRecorder[] recorders;
    /** Whether each recorder (same index) failed and is left alone. */
    private final boolean[] off;

    CompositeLockRecorder(List<LockRecorder> recorders) {
        this.recorders = recorders.toArray(LockRecorder[]::new);
        this.off = new boolean[this.recorders.length];
    }

    @Override
    public void start(LockGauges gauges) {
        report(recorder -> recorder.start(gauges));
    }

    @Override
    public void acquisition(String name, Acquisition outcome, long nanos) {
        report(recorder -> recorder.acquisition(name, outcome, nanos));
    }

    @Override
    public void released(String name, Release outcome, long heldNanos) {
        report(recorder -> recorder.released(name, outcome, heldNanos));
    }

    @Override
    public void renewal(String name, Renewal outcome) {
        report(recorder -> recorder.renewal(name, outcome));
    }

    @Override
    public void lost(String name) {
        report(recorder -> recorder.lost(name));
    }

    @Override
    public void stop() {
        for (int i = 0; i < recorders.length; i++) {
            try {
                recorders[i].stop();
            } catch (RuntimeException | LinkageError e) {
                // a recorder switched off was logged already
                (off[i] ? LOG.atDebug() : LOG.atWarn()).log("distributed-mutex could not unregister its metrics from"
                        + " {}: {}", recorders[i].getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** Hands one report to every recorder that has not failed; switches off one that fails now. */
    private void report(Consumer<LockRecorder> report) {
        for (int i = 0; i < recorders.length; i++) {
            if (off[i]) {
                continue;
            }
            try {
                report.accept(recorders[i]);
            } catch (RuntimeException | LinkageError e) {
                switchOff(i, e);
            }
        }
    }

    private void switchOff(int index, Throwable failure) {
        synchronized (off) {
            if (off[index]) {
                return; // another thread's report failed at the same time and logged it
            }
            off[index] = true;
        }
        LOG.warn("distributed-mutex records no more metrics to {}: it failed ({}); locking is not affected, and the"
                + " other metrics libraries still record", recorders[index].getClass().getSimpleName(), failure.toString());
        LOG.debug("Metrics recorder failure", failure);
    }
}
