package io.github.distributedmutex.it.quarkus;

import jakarta.enterprise.context.RequestScoped;

/** Request-scoped data of the caller (a tenant, a user, a trace id): the resource sets it, the locked body reads it. */
@RequestScoped
public class RequestTag {

    private String value;

    public void set(String value) {
        this.value = value;
    }

    public String get() {
        return value;
    }
}
