/**
 * Internal: not an API; may change in any release.
 *
 * <p>CDI integration: the producer of the {@link io.github.distributedmutex.Adapter}, the
 * {@link io.github.distributedmutex.Locked @Locked} interceptor (business methods through
 * {@code @AroundInvoke}, EJB timer callbacks through {@code @AroundTimeout}, recognised by name in
 * {@code TimeoutMethods}; Jakarta Concurrency {@code @Asynchronous(runAt)} methods, whose skips must
 * return {@code null}, recognised by name in {@code AsynchronousMethods}; methods returning Mutiny's {@code Uni},
 * locked per subscription by {@code MutinyLocking}, the only class that touches the optional Mutiny), and the two
 * extensions that
 * validate every {@code @Locked} method at deployment (a portable extension for CDI Full, a
 * build compatible extension for CDI Lite / Quarkus), both through the one shared
 * {@link io.github.distributedmutex.internal.cdi.LockedMethodValidator}. Around the method body the
 * interceptor sets the SLF4J MDC ({@code LockContext}); the producer fires the adapter's
 * {@link io.github.distributedmutex.LockEvent}s as asynchronous CDI events ({@code CdiLockEvents}),
 * plugs in the metrics recorders ({@code internal/metrics}) with the application's
 * {@code MeterRegistry} / {@code OpenTelemetry} beans, and answers the readiness check; the
 * extensions add the beans that need an optional API only when it is present ({@code OptionalBeans}:
 * the MicroProfile Health check of {@code internal/health}).
 */
package io.github.distributedmutex.internal.cdi;
