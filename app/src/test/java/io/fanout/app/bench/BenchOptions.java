package io.fanout.app.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** The command line of bin/bench: sizes, repetitions and time limits, each with the default. */
final class BenchOptions {
  static final Set<String> SCENARIOS = Set.of("kafka", "e2e", "latency", "single", "http", "dataset", "intake",
      "heap");

  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("--runs", "3");
    DEFAULTS.put("--count", "1000000");
    DEFAULTS.put("--sha-count", "100000");
    DEFAULTS.put("--warmup-count", "100000");
    DEFAULTS.put("--job-timeout", "240");
    DEFAULTS.put("--kafka-records", "500000");
    DEFAULTS.put("--latency-jobs", "50");
    DEFAULTS.put("--latency-runs", "1");
    DEFAULTS.put("--browser-jobs", "2");
    DEFAULTS.put("--browser-tasks", "2000");
    DEFAULTS.put("--browser-task-ms", "5");
    DEFAULTS.put("--intake-clients", "32");
    DEFAULTS.put("--intake-seconds", "5");
    DEFAULTS.put("--intake-max", "200000");
    DEFAULTS.put("--single-jobs", "200");
    DEFAULTS.put("--single-timeout", "60");
    // The small-job figures of scenario single (one-task jobs from many clients, their first-task latency).
    DEFAULTS.put("--small-jobs", "10000");
    DEFAULTS.put("--small-clients", "16");
    // Rounds of one-task jobs run first and are not counted, until the JIT compiler is quiet (under
    // --small-warmup-jit percent of a core during a round) or --small-warmup-seconds have passed:
    // the figures are of a process that has been up a while. Cold, the compiler took a third of
    // the CPU and more for minutes, and the same load ran at half the rate.
    DEFAULTS.put("--small-warmup-jobs", "5000");
    DEFAULTS.put("--small-warmup-jit", "10");
    DEFAULTS.put("--small-warmup-seconds", "300");
    DEFAULTS.put("--small-timeout", "120");
    DEFAULTS.put("--small-latency-jobs", "100");
    DEFAULTS.put("--small-busy-count", "10000000");
    DEFAULTS.put("--small-round-trips", "200");
    DEFAULTS.put("--small-topics", "1000");
    DEFAULTS.put("--heap-count", "10000000");
    DEFAULTS.put("--heap-max", "256m");
    DEFAULTS.put("--heap-timeout", "60");
    DEFAULTS.put("--dataset-items", "1000000");
    DEFAULTS.put("--dataset-timeout", "900");
    DEFAULTS.put("--http-count", "200000");
    DEFAULTS.put("--http-concurrency", "256");
    DEFAULTS.put("--http-load-seconds", "5");
    DEFAULTS.put("--only", String.join(",", "kafka", "e2e", "latency", "single", "http", "dataset", "intake",
        "heap"));
    DEFAULTS.put("--profile", "true");
    // embedded: every figure on the one embedded broker. replicated: the count throughput figure
    // alone, on a 3-node Kafka cluster of child JVMs (RF 3, min.insync.replicas 2), paired with that
    // cluster's raw produce rate (acks=all).
    DEFAULTS.put("--infra", "embedded");
    DEFAULTS.put("--out", "app/target/bench");
  }

  private final Map<String, String> values;

  private BenchOptions(Map<String, String> values) {
    this.values = values;
  }

  /** Every option with its default, one per line. */
  static String usage() {
    return "usage: bin/bench [option value]...; options and their defaults:\n"
        + DEFAULTS.entrySet().stream().map(e -> "  " + e.getKey() + " " + e.getValue())
            .collect(Collectors.joining("\n"))
        + "\nscenarios for --only: " + String.join(",", new java.util.TreeSet<>(SCENARIOS));
  }

  static BenchOptions parse(String[] args) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    for (int i = 0; i < args.length; i += 2) {
      if (!values.containsKey(args[i]) || i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or missing value at '" + args[i] + "'\n" + usage());
      }
      values.put(args[i], args[i + 1]);
    }
    BenchOptions options = new BenchOptions(values);
    if (!Set.of("embedded", "replicated").contains(options.string("--infra"))) {
      throw new IllegalArgumentException("--infra is embedded or replicated, not '" + options.string("--infra") + "'");
    }
    options.scenarios().forEach(name -> {
      if (!SCENARIOS.contains(name)) {
        throw new IllegalArgumentException("unknown scenario '" + name + "'; scenarios are " + SCENARIOS);
      }
    });
    return options;
  }

  int integer(String name) {
    return Integer.parseInt(values.get(name).replace("_", ""));
  }

  Duration seconds(String name) {
    return Duration.ofSeconds(integer(name));
  }

  String string(String name) {
    return values.get(name);
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.get(name));
  }

  Path out() {
    return Path.of(values.get("--out"));
  }

  Set<String> scenarios() {
    return Arrays.stream(values.get("--only").split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .collect(Collectors.toSet());
  }

  boolean runs(String scenario) {
    return scenarios().contains(scenario);
  }

  /** The options as given, for the report: a figure is only as good as its settings are known. */
  String describe() {
    return values.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(" "));
  }
}
