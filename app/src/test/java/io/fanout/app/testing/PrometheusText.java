package io.fanout.app.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Prometheus exposition read by Prometheus's own text parser, the one of its Python client
 * ({@code prometheus_client.parser}; Debian's python3-prometheus-client, which .ci/run installs):
 * the Java clients only write the format. Text it cannot parse fails the test.
 */
public final class PrometheusText {
  /** Debian's interpreter, which has Debian's package: a python3 earlier on the PATH (pyenv) may not. */
  private static final String PYTHON = "/usr/bin/python3";

  /** Families with their samples, as JSON; values as strings so that NaN and infinities survive. */
  private static final String PARSE = """
      import json, math, sys
      from prometheus_client.parser import text_string_to_metric_families
      def value(v):
          return 'NaN' if math.isnan(v) else ('Infinity' if v == math.inf else ('-Infinity' if v == -math.inf else repr(v)))
      json.dump([{'name': f.name, 'type': f.type, 'samples': [{'name': s.name, 'labels': s.labels,
          'value': value(s.value)} for s in f.samples]} for f in text_string_to_metric_families(sys.stdin.read())],
          sys.stdout)
      """;

  /** One sample: a line of the exposition. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  /** One metric family: its name (counters without {@code _total}), type and samples. */
  public record Family(String name, String type, List<Sample> samples) {}

  private final List<Family> families;

  private PrometheusText(List<Family> families) {
    this.families = families;
  }

  public static PrometheusText parse(String exposition) {
    try {
      Process python = new ProcessBuilder(PYTHON, "-c", PARSE).start();
      try (var in = python.getOutputStream()) {
        in.write(exposition.getBytes(StandardCharsets.UTF_8));
      } catch (IOException closedEarly) {
        // The parser ended before reading it all: its error says why.
        throw new AssertionError("the Prometheus parser stopped: "
            + new String(python.getErrorStream().readAllBytes(), StandardCharsets.UTF_8), closedEarly);
      }
      String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(python.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!python.waitFor(30, TimeUnit.SECONDS) || python.exitValue() != 0) {
        throw new AssertionError("Prometheus's parser refused the exposition: " + err);
      }
      List<Family> families = new JsonArray(out).stream().map(JsonObject.class::cast).map(family -> new Family(
          family.getString("name"), family.getString("type"),
          family.getJsonArray("samples").stream().map(JsonObject.class::cast).map(sample -> new Sample(
              sample.getString("name"),
              Map.copyOf(sample.getJsonObject("labels").getMap().entrySet().stream()
                  .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue())))),
              Double.parseDouble(sample.getString("value")))).toList())).toList();
      return new PrometheusText(families);
    } catch (IOException e) {
      throw new UncheckedIOException(PYTHON + " with prometheus_client is needed to parse Prometheus text", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public List<Family> families() {
    return families;
  }

  public Optional<Family> family(String name) {
    return families.stream().filter(family -> family.name().equals(name)).findFirst();
  }

  /** The value of the sample with this name whose labels include {@code labels}, if there is one. */
  public Optional<Double> value(String sampleName, Map<String, String> labels) {
    return families.stream().flatMap(family -> family.samples().stream())
        .filter(sample -> sample.name().equals(sampleName) && sample.labels().entrySet().containsAll(labels.entrySet()))
        .map(Sample::value)
        .findFirst();
  }

  /** Whether any sample's name starts with {@code prefix}. */
  public boolean hasSampleStartingWith(String prefix) {
    return families.stream().flatMap(family -> family.samples().stream()).anyMatch(s -> s.name().startsWith(prefix));
  }
}
