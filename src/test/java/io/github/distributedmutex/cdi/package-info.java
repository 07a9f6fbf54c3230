/**
 * CDI integration tests: the {@code @Locked} interceptor (key templates, contention policies,
 * asynchronous methods, order around other interceptors), deployment validation by the portable
 * and the build compatible extension, and the {@code Adapter} producer with its configuration.
 * Each test starts a CDI SE container through {@code SeContainerInitializer}
 * ({@link io.github.distributedmutex.testing.CdiContainers}) against a real Redis.
 */
package io.github.distributedmutex.cdi;
