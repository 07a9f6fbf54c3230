package io.github.distributedmutex.testing;

/**
 * The system properties that size a harness run (the demo, the correctness checker): a missing or
 * blank value means the default, anything but a whole number is refused with a message naming
 * the property.
 */
public final class HarnessProperties {

    private HarnessProperties() {
    }

    /**
     * @param name         the system property
     * @param defaultValue the value when it is not set
     * @return its value
     * @throws IllegalArgumentException when it is set but not a whole number
     */
    public static int intValue(String name, int defaultValue) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, was '" + value + "'", e);
        }
    }
}
