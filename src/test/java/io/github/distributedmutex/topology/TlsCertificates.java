package io.github.distributedmutex.topology;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test PKI made with the {@code openssl} and {@code keytool} command-line tools: a certificate
 * authority, a server certificate for {@code 127.0.0.1} signed by it, and a PKCS12 trust store
 * holding only the authority's certificate.
 *
 * @param directory  where the files are
 * @param caCert     the authority's certificate (PEM)
 * @param serverCert the server certificate (PEM), valid for IP 127.0.0.1 and DNS localhost
 * @param serverKey  the server's private key (PEM, unencrypted)
 * @param truststore a PKCS12 trust store with {@code caCert} only
 */
record TlsCertificates(Path directory, Path caCert, Path serverCert, Path serverKey, Path truststore) {

    private static final long COMMAND_TIMEOUT_SECONDS = 60;

    /**
     * Creates a fresh authority and a server certificate signed by it under {@code directory}.
     *
     * @param directory          an existing, empty-enough directory; files are named after {@code name}
     * @param name               a file name prefix, also used in the authority's common name
     * @param truststorePassword password of the trust store that is written
     * @return the files
     */
    static TlsCertificates create(Path directory, String name, String truststorePassword) {
        Path dir = directory.resolve(name);
        try {
            Files.createDirectories(dir);
            Path caKey = dir.resolve("ca.key");
            Path caCert = dir.resolve("ca.crt");
            Path serverKey = dir.resolve("server.key");
            Path csr = dir.resolve("server.csr");
            Path serverCert = dir.resolve("server.crt");
            Path extensions = dir.resolve("server.ext");
            Path truststore = dir.resolve("truststore.p12");
            run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
                    "-subj", "/CN=distributed-mutex test CA " + name, "-keyout", caKey.toString(),
                    "-out", caCert.toString());
            run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=127.0.0.1",
                    "-keyout", serverKey.toString(), "-out", csr.toString());
            Files.writeString(extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    + "extendedKeyUsage=serverAuth\n", StandardCharsets.US_ASCII);
            run(dir, "openssl", "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(),
                    "-CAkey", caKey.toString(), "-CAcreateserial", "-days", "2", "-sha256",
                    "-extfile", extensions.toString(), "-out", serverCert.toString());
            run(dir, "keytool", "-importcert", "-noprompt", "-alias", "test-ca", "-file", caCert.toString(),
                    "-keystore", truststore.toString(), "-storetype", "PKCS12", "-storepass", truststorePassword);
            return new TlsCertificates(dir, caCert, serverCert, serverKey, truststore);
        } catch (IOException e) {
            throw new IllegalStateException("Could not create test certificates in " + dir, e);
        }
    }

    private static void run(Path dir, String... command) throws IOException {
        Path output = dir.resolve("command.log");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        try (InputStream ignored = process.getInputStream()) {
            process.getOutputStream().close();
            if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command[0] + " did not finish within " + COMMAND_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + command[0], e);
        }
        if (process.exitValue() != 0) {
            // the output never contains the trust store password (it is an argument, not echoed)
            throw new IllegalStateException(List.of(command).subList(0, 2) + " failed with exit code "
                    + process.exitValue() + ": " + Files.readString(output));
        }
    }
}
