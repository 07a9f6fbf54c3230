package io.github.distributedmutex.internal.metrics;

import io.github.distributedmutex.internal.redis.LockGauges;
import io.github.distributedmutex.internal.redis.LockRecorder;
import java.util.List;

/** Reports to several recorders: Micrometer and OpenTelemetry, when the application has both. */
final class CompositeLockRecorder implements LockRecorder {

    private final LockRecorder[] recorders;

    CompositeLockRecorder(List<LockRecorder> recorders) {
        this.recorders = recorders.toArray(LockRecorder[]::new);
    }

    @Override
    public void start(LockGauges gauges) {
        for (LockRecorder recorder : recorders) {
            recorder.start(gauges);
        }
    }

    @Override
    public void acquisition(String name, Acquisition outcome, long nanos) {
        for (LockRecorder recorder : recorders) {
            recorder.acquisition(name, outcome, nanos);
        }
    }

    @Override
    public void released(String name, long heldNanos) {
        for (LockRecorder recorder : recorders) {
            recorder.released(name, heldNanos);
        }
    }

    @Override
    public void renewal(String name, Renewal outcome) {
        for (LockRecorder recorder : recorders) {
            recorder.renewal(name, outcome);
        }
    }

    @Override
    public void lost(String name) {
        for (LockRecorder recorder : recorders) {
            recorder.lost(name);
        }
    }

    @Override
    public void stop() {
        for (LockRecorder recorder : recorders) {
            recorder.stop();
        }
    }
}
