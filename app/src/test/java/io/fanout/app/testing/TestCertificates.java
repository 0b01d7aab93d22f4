package io.fanout.app.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority, made with openssl at test time (no key is ever committed):
 * a server certificate for 127.0.0.1 and localhost, and a client certificate, both signed by it.
 */
public record TestCertificates(Path caCert, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {

  public static TestCertificates make(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
      openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
          "-days", "2", "-subj", "/CN=Fanout test CA");
      signed(dir, "server", "/CN=127.0.0.1", List.of("-extfile", "server.ext"));
      signed(dir, "client", "/CN=fanout-client", List.of());
      return new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"),
          dir.resolve("client.pem"), dir.resolve("client.key"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void signed(Path dir, String name, String subject, List<String> extra) {
    openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
        "-subj", subject);
    List<String> sign = new java.util.ArrayList<>(List.of("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
        "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "2"));
    sign.addAll(extra);
    openssl(dir, sign.toArray(String[]::new));
  }

  private static void openssl(Path dir, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(dir.resolve("openssl.log").toFile()).start();
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: "
            + Files.readString(dir.resolve("openssl.log")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("openssl is needed for TLS tests (apt-get install openssl)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
