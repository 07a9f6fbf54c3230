package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.Locked;
import io.github.distributedmutex.internal.cdi.LockedMethodValidator;
import jakarta.ejb.Schedule;
import jakarta.ejb.Schedules;
import jakarta.ejb.TimedObject;
import jakarta.ejb.Timeout;
import jakarta.ejb.Timer;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import org.junit.jupiter.api.Test;

/**
 * The deployment warnings for {@code @Locked} timeout methods whose setup defeats "once per
 * cluster" in ways the lock cannot fix: no minimum hold (a node firing later runs the tick again),
 * a persistent {@code @Schedule} (missed ticks are fired
 * when a node starts again, after the lock was freed) and a container-managed transaction (it
 * commits after the lock is released). Pure reflection over annotations: no container needed.
 */
class TimerWarningsTest {

    @Test
    void theDefaultScheduleIsPersistentAndTransactionalAndGetsBothWarnings() {
        assertThat(LockedMethodValidator.warnings(DefaultSchedule.class)).satisfiesExactly(
                persistent -> assertThat(persistent).contains("DefaultSchedule#tick()")
                        .contains("@Schedule is persistent").contains("persistent = false"),
                transactional -> assertThat(transactional).contains("DefaultSchedule#tick()")
                        .contains("container-managed transaction").contains("NOT_SUPPORTED"));
    }

    @Test
    void aNonPersistentScheduleOutsideTransactionsGetsNone() {
        assertThat(LockedMethodValidator.warnings(RecommendedSchedule.class)).isEmpty();
        assertThat(LockedMethodValidator.warnings(BeanManagedTransactions.class)).isEmpty();
        assertThat(LockedMethodValidator.warnings(NeverTransactionalOnTheClass.class)).isEmpty();
    }

    @Test
    void onePersistentScheduleAmongSeveralIsEnough() {
        assertThat(LockedMethodValidator.warnings(SeveralSchedules.class)).singleElement().asString()
                .contains("SeveralSchedules#tick()").contains("@Schedule is persistent");
    }

    @Test
    void aProgrammaticTimeoutInAContainerTransactionGetsTheTransactionWarningOnly() {
        assertThat(LockedMethodValidator.warnings(ProgrammaticTimer.class)).singleElement().asString()
                .contains("ProgrammaticTimer#onTimeout()").contains("container-managed transaction");
    }

    @Test
    void aTimeoutMethodWithoutHoldAtLeastIsWarnedThatALateNodeRunsTheTickAgain() {
        assertThat(LockedMethodValidator.warnings(NoHold.class)).singleElement().asString()
                .contains("NoHold#tick()").contains("no holdAtLeast");
    }

    @Test
    void theClassLevelTransactionAttributeIsTheOneOfTheClassThatDeclaresTheMethod() {
        assertThat(LockedMethodValidator.warnings(SubclassOfNotSupportedBase.class))
                .as("the tick is declared in a NOT_SUPPORTED class: no transaction").isEmpty();
        assertThat(LockedMethodValidator.warnings(NotSupportedSubclassOfDefaultBase.class)).singleElement().asString()
                .as("the tick is declared in a class with the default REQUIRED").contains("container-managed transaction");
    }

    @Test
    void ejbTimeoutOfATimedObjectIsATimeoutMethod() {
        assertThat(LockedMethodValidator.warnings(TimedObjectBean.class)).singleElement().asString()
                .contains("TimedObjectBean#ejbTimeout(Timer)").contains("container-managed transaction");
    }

    @Test
    void businessMethodsAndUnlockedTimersGetNone() {
        assertThat(LockedMethodValidator.warnings(NotATimer.class)).isEmpty();
        assertThat(LockedMethodValidator.warnings(UnlockedTimer.class)).isEmpty();
    }

    public static class DefaultSchedule {
        @Schedule(second = "*/2", minute = "*", hour = "*")
        @Locked(onContention = Locked.OnContention.SKIP, holdAtLeast = "1s")
        void tick() {
        }
    }

    public static class RecommendedSchedule {
        @Schedule(second = "*/2", minute = "*", hour = "*", persistent = false)
        @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
        @Locked(onContention = Locked.OnContention.SKIP, holdAtLeast = "1s")
        void tick() {
        }
    }

    @TransactionManagement(TransactionManagementType.BEAN)
    public static class BeanManagedTransactions {
        @Schedule(hour = "2", persistent = false)
        @Locked(holdAtLeast = "1s")
        void tick() {
        }
    }

    @TransactionAttribute(TransactionAttributeType.NEVER)
    public static class NeverTransactionalOnTheClass {
        @Schedule(hour = "2", persistent = false)
        @Locked(holdAtLeast = "1s")
        void tick() {
        }
    }

    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public static class SeveralSchedules {
        @Schedules({@Schedule(hour = "2", persistent = false), @Schedule(hour = "14")})
        @Locked(holdAtLeast = "1s")
        void tick() {
        }
    }

    public static class ProgrammaticTimer {
        @Timeout
        @Locked(holdAtLeast = "1s")
        void onTimeout() {
        }
    }

    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public static class NoHold {
        @Schedule(hour = "2", persistent = false)
        @Locked(onContention = Locked.OnContention.SKIP)
        void tick() {
        }
    }

    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public static class NotSupportedBase {
        @Schedule(hour = "2", persistent = false)
        @Locked(holdAtLeast = "1s")
        void tick() {
        }
    }

    public static class SubclassOfNotSupportedBase extends NotSupportedBase {
    }

    public static class DefaultBase {
        @Schedule(hour = "2", persistent = false)
        @Locked(holdAtLeast = "1s")
        void tick() {
        }
    }

    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public static class NotSupportedSubclassOfDefaultBase extends DefaultBase {
    }

    public static class TimedObjectBean implements TimedObject {
        @Override
        @Locked(holdAtLeast = "1s")
        public void ejbTimeout(Timer timer) {
        }
    }

    public static class NotATimer {
        @Locked(holdAtLeast = "1s")
        void work() {
        }
    }

    public static class UnlockedTimer {
        @Schedule(hour = "2")
        void tick() {
        }
    }
}
