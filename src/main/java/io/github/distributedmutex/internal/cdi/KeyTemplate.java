package io.github.distributedmutex.internal.cdi;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A compiled {@code @Locked} key template, bound to one method's parameters.
 *
 * <p>Syntax: literal text with placeholders in braces. {@code {0}} is the parameter at that
 * position, {@code {name}} the parameter of that name (needs {@code -parameters}), and
 * {@code {name.prop.sub}} follows getters ({@code getProp()}, {@code isProp()}) or record
 * components ({@code prop()}). Every placeholder is resolved against the declared parameter
 * types when the template is compiled, so a mistake is found at deployment.
 *
 * <p><b>Values must identify themselves.</b> A placeholder's value becomes part of the key through
 * {@code toString()}. A value whose {@code toString()} is {@link Object#toString()}'s (an array,
 * or an object of a class that does not override it) renders as a class name and identity hash
 * code, different on every call, so the lock would never exclude anything. When the placeholder's
 * declared type (the type at the end of its path) settles it, that is a compile error: an array
 * type, or a final class that does not override {@code toString()}. Otherwise (interfaces,
 * {@code Object}, non-final classes that do not override it) the value's class is checked when
 * the key is rendered, and such a value fails the call before any lock is taken. An EJB
 * {@code jakarta.ejb.Timer} or {@code TimerHandle} is a compile error too (its {@code toString()}
 * is each server's own); {@code {timer.info}} is fine.
 *
 * <p>Size: the parser, the compile-time checks against the method and the run-time rendering of
 * one template stay together, because each placeholder's checks depend on how it is rendered.
 */
final class KeyTemplate {

    /** Whether instances of a class render with {@link Object#toString()}: arrays, and classes not overriding it. */
    private static final ClassValue<Boolean> IDENTITY_TO_STRING = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return type.isArray() || toStringDeclarer(type) == Object.class;
        }
    };

    private final String source;
    private final List<Part> parts;

    private KeyTemplate(String source, List<Part> parts) {
        this.source = source;
        this.parts = parts;
    }

    /** @return a template that always renders {@code key} */
    static KeyTemplate constant(String key) {
        return new KeyTemplate(key, List.of(new Literal(key)));
    }

    /**
     * @param template the template text
     * @param method   the method whose parameters the placeholders refer to
     * @return the compiled template
     * @throws IllegalArgumentException when the template cannot be resolved against the method;
     *                                  the message says which placeholder and why
     */
    static KeyTemplate compile(String template, Method method) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '}') {
                throw new IllegalArgumentException("key template '" + template + "' has a '}' without '{' at index " + i);
            }
            if (c != '{') {
                literal.append(c);
                i++;
                continue;
            }
            int end = template.indexOf('}', i);
            if (end < 0) {
                throw new IllegalArgumentException("key template '" + template + "' has a '{' without '}' at index " + i);
            }
            if (literal.length() > 0) {
                parts.add(new Literal(literal.toString()));
                literal.setLength(0);
            }
            parts.add(placeholder(template, template.substring(i + 1, end), method));
            i = end + 1;
        }
        if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
        }
        return new KeyTemplate(template, List.copyOf(parts));
    }

    private static Part placeholder(String template, String expression, Method method) {
        if (!expression.matches("[0-9]+|[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*")) {
            throw new IllegalArgumentException("key template '" + template + "' has an invalid placeholder {"
                    + expression + "}: use {0}, {name} or {name.property}");
        }
        String[] path = expression.split("\\.");
        Parameter[] parameters = method.getParameters();
        int index;
        if (Character.isDigit(path[0].charAt(0))) {
            index = Integer.parseInt(path[0]);
            if (index >= parameters.length) {
                throw new IllegalArgumentException("key template '" + template + "' refers to parameter {" + index
                        + "} but the method has " + parameters.length + " parameter(s)");
            }
        } else {
            index = parameterIndex(template, path[0], parameters);
        }
        Class<?> type = parameters[index].getType();
        List<Method> accessors = new ArrayList<>();
        for (int step = 1; step < path.length; step++) {
            Method accessor = accessor(type, path[step]);
            if (accessor == null) {
                throw new IllegalArgumentException("key template '" + template + "': " + type.getName()
                        + " has no readable property '" + path[step] + "' (no get" + capitalized(path[step]) + "(), is"
                        + capitalized(path[step]) + "() or record component " + path[step] + "())");
            }
            accessors.add(accessor);
            type = accessor.getReturnType();
        }
        return new Placeholder(expression, index, List.copyOf(accessors), checkPerValue(template, expression, type));
    }

    /**
     * @return whether each value of the declared type must be checked for {@link Object#toString()} when rendered
     * @throws IllegalArgumentException when every value of the type would render with it
     */
    private static boolean checkPerValue(String template, String expression, Class<?> type) {
        Optional<String> timer = TimeoutMethods.timerType(type);
        if (timer.isPresent()) {
            throw new IllegalArgumentException("key template '" + template + "': {" + expression + "} is a "
                    + timer.get() + ", whose toString() is the server's own and names that server's timer object, so"
                    + " every server would build a different key and the lock would exclude nothing; use the timer's"
                    + " info ({" + expression + ".info}, set as @Schedule(info = ...) or when the timer is created), or"
                    + " leave the timer out of the template");
        }
        if (type.isPrimitive()) {
            return false;
        }
        if (type.isInterface()) {
            return true;
        }
        if (!IDENTITY_TO_STRING.get(type)) {
            return false; // overridden, so overridden in every subclass too
        }
        if (type.isArray() || Modifier.isFinal(type.getModifiers())) {
            throw identityToString(template, expression, type);
        }
        return true;
    }

    private static Class<?> toStringDeclarer(Class<?> type) {
        try {
            return type.getMethod("toString").getDeclaringClass();
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no public toString()", e);
        }
    }

    private static IllegalArgumentException identityToString(String template, String expression, Class<?> type) {
        return new IllegalArgumentException("key template '" + template + "': {" + expression + "} is a "
                + type.getTypeName() + ", whose toString() is Object's (class name and identity hash code): the key"
                + " would differ on every call, so the lock would never exclude anything; use a property of the value"
                + " ({" + expression + ".id}), or a type whose toString() identifies the value (a String, a number,"
                + " a UUID, an enum, a record)");
    }

    private static int parameterIndex(String template, String name, Parameter[] parameters) {
        if (parameters.length > 0 && !parameters[0].isNamePresent()) {
            throw new IllegalArgumentException("key template '" + template + "' refers to parameter '" + name
                    + "' by name, but parameter names were not compiled into the class: compile with -parameters,"
                    + " or refer to parameters by position ({0}, {1}, ...)");
        }
        for (int i = 0; i < parameters.length; i++) {
            if (parameters[i].getName().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("key template '" + template + "' refers to unknown parameter '" + name
                + "'; the parameters are " + Arrays.stream(parameters).map(Parameter::getName).toList());
    }

    private static Method accessor(Class<?> type, String property) {
        if (type.isRecord()) {
            for (RecordComponent component : type.getRecordComponents()) {
                if (component.getName().equals(property)) {
                    return accessible(component.getAccessor());
                }
            }
        }
        for (String name : List.of("get" + capitalized(property), "is" + capitalized(property), property)) {
            Method candidate = publicNoArgMethod(type, name);
            if (candidate != null && (!name.startsWith("is") || name.equals(property)
                    || candidate.getReturnType() == boolean.class || candidate.getReturnType() == Boolean.class)) {
                return accessible(candidate);
            }
        }
        return null;
    }

    private static Method publicNoArgMethod(Class<?> type, String name) {
        try {
            Method method = type.getMethod(name);
            boolean usable = method.getReturnType() != void.class && !Modifier.isStatic(method.getModifiers());
            return usable ? method : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static Method accessible(Method method) {
        if (!Modifier.isPublic(method.getDeclaringClass().getModifiers())) {
            method.trySetAccessible();
        }
        return method;
    }

    private static String capitalized(String property) {
        return property.substring(0, 1).toUpperCase(Locale.ROOT) + property.substring(1);
    }

    /**
     * @param arguments the invocation's arguments
     * @return the key
     * @throws IllegalArgumentException when a value on a placeholder's path is null or a getter failed
     */
    String render(Object[] arguments) {
        StringBuilder key = new StringBuilder();
        for (Part part : parts) {
            part.appendTo(key, arguments, source);
        }
        return key.toString();
    }

    /** @return the template text, as written in {@code @Locked} (the default key for none) */
    String source() {
        return source;
    }

    @Override
    public String toString() {
        return source;
    }

    private sealed interface Part permits Literal, Placeholder {
        void appendTo(StringBuilder key, Object[] arguments, String template);
    }

    private record Literal(String text) implements Part {
        @Override
        public void appendTo(StringBuilder key, Object[] arguments, String template) {
            key.append(text);
        }
    }

    /**
     * @param checkValue whether the rendered value's class must be checked for {@link Object#toString()}, because
     *                   the declared type does not rule it out
     */
    private record Placeholder(String expression, int index, List<Method> accessors, boolean checkValue)
            implements Part {
        @Override
        public void appendTo(StringBuilder key, Object[] arguments, String template) {
            Object value = arguments[index];
            for (Method accessor : accessors) {
                if (value == null) {
                    break;
                }
                try {
                    value = accessor.invoke(value);
                } catch (IllegalAccessException | InvocationTargetException e) {
                    Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
                    throw new IllegalArgumentException("key template '" + template + "': reading {" + expression
                            + "} failed in " + accessor.getName() + "()", cause);
                }
            }
            if (value == null) {
                throw new IllegalArgumentException("key template '" + template + "': {" + expression
                        + "} is null, so no lock key can be built");
            }
            if (checkValue && IDENTITY_TO_STRING.get(value.getClass())) {
                throw identityToString(template, expression, value.getClass());
            }
            key.append(value);
        }
    }
}
