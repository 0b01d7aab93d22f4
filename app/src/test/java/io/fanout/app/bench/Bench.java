package io.fanout.app.bench;

import io.fanout.app.FanoutApp;
import io.fanout.app.embedded.EmbeddedInfrastructure;
import io.fanout.app.testing.KafkaNodes;
import io.fanout.app.testing.SockJsBridgeClient;
import io.fanout.app.testing.RedisProbe;
import io.fanout.core.KafkaClients;
import io.fanout.core.Settings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bin/bench: the figures of issue 7, measured on this machine in one run, each beside its target.
 * Starts an embedded Kafka broker and Redis under a temporary directory, a Fanout process with
 * every role in this JVM on them, runs the scenarios one after the other, and prints one line per
 * figure, then the Markdown table for BENCHMARKS.md; the full report goes to {@code --out}.
 */
public final class Bench {
  private static final Logger LOG = LoggerFactory.getLogger(Bench.class);
  // The figures are the program's output, not log lines: they go to stdout, and into the report.
  private static final PrintStream OUT = System.out;
  private static final double REFERENCE_QUEUE_RATE = 7_300;
  private static final String[] SHOWN_SETTINGS = {Settings.WORKER_POOL, Settings.WORKER_INSTANCES,
      Settings.DISPATCH_INSTANCES, Settings.TASK_PARTITIONS, Settings.MAX_ACTIVE_JOBS, Settings.PRODUCE_WINDOW,
      Settings.PRODUCE_WINDOW_BYTES, Settings.DISPATCH_CONCURRENCY, Settings.WORKER_QUEUE_PER_THREAD, Settings.TOPIC_DISCOVERY_MS,
      Settings.COMMIT_INTERVAL_MS};

  private final BenchOptions options;
  private final List<Figure> figures = new ArrayList<>();
  private final StringBuilder report = new StringBuilder();
  private final Vertx clients = Vertx.vertx();

  private Bench(BenchOptions options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help")) {
      OUT.println(BenchOptions.usage());
      return;
    }
    BenchOptions options = BenchOptions.parse(args);
    Files.createDirectories(options.out());
    // Log lines (Fanout's, the broker's, the clients' retries) go to a file, the figures to the console.
    System.setOut(new PrintStream(Files.newOutputStream(options.out().resolve("bench.log")), true,
        StandardCharsets.UTF_8));
    Bench bench = new Bench(options);
    try {
      bench.run();
    } finally {
      bench.clients.close().await();
    }
  }

  private void run() throws Exception {
    Path out = options.out().toAbsolutePath();
    Files.createDirectories(out);
    Path data = Files.createTempDirectory("fanout-bench-");
    Instant startedAt = Instant.now();
    section("Fanout benchmark, " + startedAt);
    note("Machine: " + Machine.describe());
    note("Load average at start: " + Machine.loadAverage());
    List<String> others = Machine.otherJavaProcesses();
    note(others.isEmpty() ? "No other Java process was running at start."
        : "SHARED MACHINE: " + others.size() + " other Java process(es) were running at start:\n    "
            + String.join("\n    ", others));
    note("Options: " + options.describe());
    note(options.string("--infra").equals("replicated")
        ? "Topology: one JVM holds every Fanout role and the benchmark's clients; Kafka is 3 child JVMs (below), "
            + "the embedded redis-server 6.2 a child process. Data under " + data
        : "Topology: one JVM holds the embedded Kafka 3.7.1 broker (KRaft), every Fanout role and the benchmark's "
            + "clients; the embedded redis-server 6.2 is a child process. Data under " + data);
    try (EmbeddedInfrastructure backends = EmbeddedInfrastructure.start(data.resolve("backends"))) {
      if (options.string("--infra").equals("replicated")) {
        scenario("e2e", () -> replicated(backends, data, out));
      } else {
        everyScenario(backends, data, out);
      }
    } finally {
      deleteQuietly(data);
    }
    section("End of run");
    List<String> othersAtEnd = Machine.otherJavaProcesses();
    note("Load average at end: " + Machine.loadAverage() + "; other Java processes at end: " + othersAtEnd.size());
    note(String.format("Whole run: %.1f min", Duration.between(startedAt, Instant.now()).toMillis() / 60000.0));
    section("Figures");
    report.append("```text\n");
    figures.forEach(figure -> emit(figure.line()));
    report.append("```\n");
    section("Table");
    emit(Figure.tableHeader());
    figures.forEach(figure -> emit(figure.row()));
    Files.writeString(out.resolve("report.md"), report.toString());
    OUT.println();
    OUT.println("Report: " + out.resolve("report.md"));
  }

  /** Every scenario asked for, on the embedded broker. */
  private void everyScenario(EmbeddedInfrastructure backends, Path data, Path out) {
    try (FanoutApp app = startFanout(backends.bootstrapServers(), data, "", backends.redisUrl())) {
      note("Fanout settings: " + shownSettings(app.settings()));
      scenario("kafka", () -> rawKafka(backends, app.settings()));
      try (FanoutHttp http = new FanoutHttp(clients, app.settings().integer(Settings.HTTP_PORT), 16)) {
        scenario("e2e", () -> endToEnd(http, backends.bootstrapServers(), app.settings(), out));
        scenario("latency", () -> latency(http, backends, app));
        scenario("single", () -> singleTaskJobs(http, app));
        scenario("http", () -> httpTasks(http, app));
      }
      scenario("dataset", () -> dataset(app, backends, data));
    }
    scenario("intake", () -> intake(backends, data));
    scenario("heap", () -> heap(backends, data, out));
  }

  /**
   * --infra replicated: the count throughput figure on a 3-node Kafka cluster (child JVMs, RF 3,
   * min.insync.replicas 2), each run paired with that cluster's raw produce rate (acks=all) just
   * before it. Redis stays the embedded one, so what changes against the default run is Kafka alone.
   */
  private void replicated(EmbeddedInfrastructure backends, Path data, Path out) throws Exception {
    section("Scenario 1 on a 3-node Kafka cluster, RF 3");
    try (KafkaNodes cluster = KafkaNodes.start("bench", 3);
        FanoutApp app = startFanout(cluster.bootstrapServers(), data, "", backends.redisUrl());
        FanoutHttp http = new FanoutHttp(clients, app.settings().integer(Settings.HTTP_PORT), 16);
        TopicOffsets offsets = new TopicOffsets(cluster.bootstrapServers())) {
      note("Kafka: 3 KRaft nodes (broker and controller each), Kafka 4.1.1, one child JVM each (-Xmx512m) on this "
          + "machine; default.replication.factor 3, min.insync.replicas 2; pids " + cluster.nodeIds().stream()
          .map(id -> Long.toString(cluster.pid(id))).toList());
      note("Fanout settings: " + shownSettings(app.settings()));
      EndToEndThroughput e2e = new EndToEndThroughput(http, offsets, options.seconds("--job-timeout"));
      e2e.runs(new JsonObject().put("type", "count").put("count", options.integer("--warmup-count")), 1);
      pairedCount(e2e, cluster.bootstrapServers(), app.settings(), out, "rf3", " on 3 brokers, RF 3");
    }
  }

  /** A scenario's steps, which may throw. */
  private interface Steps {
    void run() throws Exception;
  }

  /** Runs a scenario if it was asked for; one that fails is reported and the others still run. */
  private void scenario(String name, Steps steps) {
    if (!options.runs(name)) {
      return;
    }
    try {
      steps.run();
    } catch (Exception | AssertionError e) {
      LOG.error("Scenario {} failed", name, e);
      note("SCENARIO " + name + " FAILED: " + e + " (see bench.log); its figures are missing");
    }
  }

  private FanoutApp startFanout(String bootstrapServers, Path data, String roles, String redisUrl) {
    JsonObject overrides = new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, bootstrapServers)
        .put(Settings.REDIS_URL, redisUrl)
        .put(Settings.HTTP_PORT, Ports.free())
        .put(Settings.PROGRESS_PORT, Ports.free())
        .put(Settings.DATA_DIR, data.resolve("fanout").toString())
        // Scenario http calls a no-op service on this machine.
        .put(Settings.HTTP_TASK_ALLOWED_HOSTS, "127.0.0.1");
    if (!roles.isEmpty()) {
      overrides.put(Settings.ROLES, roles);
    }
    return FanoutApp.start(overrides);
  }

  private void rawKafka(EmbeddedInfrastructure backends, Settings settings) throws Exception {
    section("Scenario 2: raw Kafka on the same broker");
    int records = options.integer("--kafka-records");
    int partitions = settings.integer(Settings.TASK_PARTITIONS);
    RawKafkaRate kafka = new RawKafkaRate(backends.bootstrapServers(), partitions);
    List<RawKafkaRate.Rates> runs = new ArrayList<>();
    // An untimed round first, as for Fanout's jobs: both sides are measured with a warm JIT.
    kafka.measure(Math.max(1000, records / 5), 0, KafkaClients.producer(settings, "bench"));
    for (int run = 1; run <= options.integer("--runs"); run++) {
      RawKafkaRate.Rates rates = kafka.measure(records, run, KafkaClients.producer(settings, "bench"));
      note(String.format("run %d: produce %,.0f/s, consume %,.0f/s, produce with Fanout's settings %,.0f/s", run,
          rates.produceRate(), rates.consumeRate(), rates.fanoutProducerRate()));
      runs.add(rates);
    }
    String common = String.format("%,d records of %d random bytes, %d partitions, after a warm-up round, "
        + "median of %d: ", records,
        RawKafkaRate.RECORD_BYTES, partitions, runs.size());
    figures.add(Figure.reference("kafka.produce",
        "Raw Kafka produce (client defaults: acks=all, linger 0, 16 KB batches)",
        perSecond(median(runs, RawKafkaRate.Rates::produceRate), "records"),
        common + spread(runs, RawKafkaRate.Rates::produceRate)));
    figures.add(Figure.reference("kafka.consume", "Raw Kafka consume (one consumer, all partitions)",
        perSecond(median(runs, RawKafkaRate.Rates::consumeRate), "records"),
        common + spread(runs, RawKafkaRate.Rates::consumeRate)));
    figures.add(Figure.reference("kafka.produce.fanout", "Raw Kafka produce with Fanout's producer settings "
            + "(1 in flight, linger 5 ms, 128 KB, lz4)",
        perSecond(median(runs, RawKafkaRate.Rates::fanoutProducerRate), "records"),
        common + spread(runs, RawKafkaRate.Rates::fanoutProducerRate)));
    List<Double> pipeline = new ArrayList<>();
    kafka.pipelineRate(Math.max(1000, records / 5), "0", KafkaClients.producer(settings, "bench"));
    for (int run = 1; run <= options.integer("--runs"); run++) {
      pipeline.add(kafka.pipelineRate(records, Integer.toString(run), KafkaClients.producer(settings, "bench")));
      note(String.format("run %d: task pipeline %,.0f records/s", run, pipeline.get(pipeline.size() - 1)));
    }
    double kafkaPipelineRate = Samples.median(pipeline);
    figures.add(Figure.reference("kafka.pipeline", "Raw Kafka task pipeline: produce, consume, answer in a "
            + "transaction with the offsets", perSecond(kafkaPipelineRate, "records"),
        String.format("%,d records through a plain producer, a read_committed group member and a transactional "
            + "producer (one transaction per 20 ms), after a warm-up round, median of %d: %s", records,
            pipeline.size(), Samples.runs(pipeline, "%,.0f"))));
  }

  private void endToEnd(FanoutHttp http, String bootstrapServers, Settings settings, Path out) throws Exception {
    section("Scenario 1: end-to-end throughput");
    try (TopicOffsets offsets = new TopicOffsets(bootstrapServers)) {
      endToEnd(new EndToEndThroughput(http, offsets, options.seconds("--job-timeout")), bootstrapServers, settings,
          out);
    }
  }

  private void endToEnd(EndToEndThroughput e2e, String bootstrapServers, Settings settings, Path out)
      throws Exception {
    // A warm-up job first, not counted: the figures are of a JVM whose JIT has seen the code paths.
    if (options.flag("--profile")) {
      ScenarioProfile.prime();
    }
    e2e.runs(new JsonObject().put("type", "count").put("count", options.integer("--warmup-count")), 1);
    pairedCount(e2e, bootstrapServers, settings, out, "e2e", "");

    int shaCount = options.integer("--sha-count");
    JsonObject shaJob = new JsonObject().put("type", "sha256").put("count", shaCount)
        .put("payload", new JsonObject().put("input", "x"));
    List<EndToEndThroughput.Run> hashed = measured("sha256", out, n -> e2e.runs(shaJob, n), () -> e2e.runs(shaJob, 1));
    figures.add(Figure.reference("e2e.sha256", "End-to-end `sha256` tasks/s",
        perSecond(median(hashed, EndToEndThroughput.Run::rate), "tasks"),
        String.format("%,d-task sha256 job, median of %d: %s", shaCount, hashed.size(),
            spread(hashed, EndToEndThroughput.Run::rate)) + cutNote(hashed)));
  }

  /**
   * The count throughput figure: each measured count run right after a raw produce run and a raw
   * task-pipeline run on the same Kafka, and the ratios of the pairs. {@code key} prefixes the
   * figures' ids and {@code where} their labels, to tell the embedded broker from a cluster.
   */
  private void pairedCount(EndToEndThroughput e2e, String bootstrapServers, Settings settings, Path out, String key,
      String where) throws Exception {
    // Each measured run comes right after a raw produce run and a raw task-pipeline run of its own:
    // the broker's JIT and the machine's other load change over minutes, and a ratio is fair only
    // between figures taken together.
    int count = options.integer("--count");
    RawKafkaRate raw = new RawKafkaRate(bootstrapServers, settings.integer(Settings.TASK_PARTITIONS));
    int rawRecords = options.integer("--kafka-records");
    List<Double> produced = new ArrayList<>();
    List<Double> piped = new ArrayList<>();
    JsonObject countJob = new JsonObject().put("type", "count").put("count", count);
    List<EndToEndThroughput.Run> counted = measured(key.equals("e2e") ? "count" : key + "-count", out, n -> {
      List<EndToEndThroughput.Run> runs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        try {
          String name = "paired-" + produced.size();
          produced.add(raw.produceRate(rawRecords, name));
          piped.add(raw.pipelineRate(rawRecords, name, KafkaClients.producer(settings, "bench")));
        } catch (Exception e) {
          throw new IllegalStateException("the raw Kafka runs paired with a count run failed", e);
        }
        runs.addAll(e2e.runs(countJob, 1));
      }
      return runs;
    }, () -> e2e.runs(countJob, 1));
    double countRate = median(counted, EndToEndThroughput.Run::rate);
    String detail = String.format("%,d-task count job, createdAt->finishedAt, after a %,d-task warm-up job, "
        + "median of %d: %s", count, options.integer("--warmup-count"), counted.size(),
        spread(counted, EndToEndThroughput.Run::rate)) + cutNote(counted);
    figures.add(new Figure(key + ".count", "End-to-end no-op (`count`) tasks/s" + where, perSecond(countRate, "tasks"), detail,
        "≥ 100,000 tasks/s", countRate >= 100_000));
    List<Double> vsProduce = new ArrayList<>();
    List<Double> pipeVsProduce = new ArrayList<>();
    List<Double> vsPipe = new ArrayList<>();
    for (int i = 0; i < counted.size(); i++) {
      vsProduce.add(counted.get(i).rate() / produced.get(i));
      pipeVsProduce.add(piped.get(i) / produced.get(i));
      vsPipe.add(counted.get(i).rate() / piped.get(i));
    }
    double ratio = Samples.median(vsProduce);
    figures.add(new Figure(key + ".count.vs.kafka", "No-op tasks/s ÷ raw Kafka produce rate (acks=all, same run, paired)"
        + where,
        String.format("%.2f", ratio), String.format("each count run right after %,d records produced with the "
            + "client's defaults (%s records/s), median of the %d ratios: %s", rawRecords,
            Samples.runs(produced, "%,.0f"), vsProduce.size(), Samples.runs(vsProduce, "%.2f")), "≥ 0.33",
        ratio >= 1.0 / 3));
    figures.add(Figure.reference(key + ".pipeline.vs.kafka", "Raw Kafka task pipeline ÷ raw produce (paired)" + where,
        String.format("%.2f", Samples.median(pipeVsProduce)), String.format("Kafka's own work per no-op task "
            + "(%s records/s, each just before its count run), median of the ratios: %s", Samples.runs(piped, "%,.0f"),
            Samples.runs(pipeVsProduce, "%.2f"))));
    figures.add(Figure.reference(key + ".count.vs.pipeline", "No-op tasks/s ÷ raw Kafka task pipeline (paired)" + where,
        String.format("%.2f", Samples.median(vsPipe)), String.format("what Redis, Vert.x and the rest of Fanout "
            + "cost on top of Kafka's own work per task, median of the ratios: %s", Samples.runs(vsPipe, "%.2f"))));
    double times = countRate / REFERENCE_QUEUE_RATE;
    figures.add(new Figure(key + ".count.vs.reference", "No-op tasks/s ÷ 7,300 (Redis-backed Node queue, ENVIRONMENT.md)"
        + where,
        String.format("%.1fx", times), "reference measured on this machine kind, not in this run", "≥ 10x",
        times >= 10));

  }

  /**
   * Measures one job type's runs; then, unless --profile false, runs it once more under a JFR
   * recording, not counted: with the JDK's "profile" settings the recording itself took a third
   * of the rate. Notes each run and where the pace came from, and puts the profile in the report
   * and in {@code e2e-<type>-profile.txt}.
   */
  private List<EndToEndThroughput.Run> measured(String type, Path out,
      IntFunction<List<EndToEndThroughput.Run>> runs, Supplier<List<EndToEndThroughput.Run>> oneMore)
      throws Exception {
    List<EndToEndThroughput.Run> results = runs.apply(options.integer("--runs"));
    results.forEach(run -> note(type + ": " + describe(run)));
    note(String.format("%s: the dispatcher had every task in Kafka after %.0f %% of the job's time (median); "
        + "near 100 %% means the dispatcher sets the pace", type, 100 * median(results,
            run -> run.dispatchedMs() < 0 ? Double.NaN : (double) run.dispatchedMs() / run.millis())));
    if (options.flag("--profile")) {
      ScenarioProfile profile = ScenarioProfile.start(out.resolve("e2e-" + type + ".jfr"));
      List<EndToEndThroughput.Run> profiled = oneMore.get();
      String summary = profile.stop();
      Path file = out.resolve("e2e-" + type + "-profile.txt");
      Files.writeString(file, summary);
      report.append("\n### Profile of one more ").append(type).append(" job run, not counted\n\n")
          .append(describe(profiled.get(0))).append("\n\n```\n").append(summary).append("```\n\n");
      OUT.println("Profile of one more " + type + " run written to " + file);
    }
    return results;
  }

  private static String describe(EndToEndThroughput.Run run) {
    return run.describe() + String.format(" = %,.0f tasks/s, created->started %d ms", run.rate(), run.waitMs());
  }

  private void latency(FanoutHttp http, EmbeddedInfrastructure backends, FanoutApp app) {
    section("Scenario 3: latency");
    int jobs = options.integer("--latency-jobs");
    int tasks = options.integer("--browser-tasks");
    int taskMs = options.integer("--browser-task-ms");
    List<Double> firstP50 = new ArrayList<>();
    List<Double> firstP99 = new ArrayList<>();
    List<Double> toStarted = new ArrayList<>();
    List<Double> noopDelays = new ArrayList<>();
    List<Double> streamP50 = new ArrayList<>();
    List<Double> streamP99 = new ArrayList<>();
    List<Double> spans = new ArrayList<>();
    JobLog log = new JobLog(http);
    try (SockJsBridgeClient browser = SockJsBridgeClient.connect(clients, app.settings().integer(Settings.PROGRESS_PORT))) {
      LatencyProbe probe = new LatencyProbe(http, log, browser);
      for (int run = 1; run <= options.integer("--latency-runs"); run++) {
        List<Double> totals = new ArrayList<>();
        for (int job = 0; job < jobs; job++) {
          LatencyProbe.Watched watched = probe.watch(new JsonObject().put("type", "count").put("count", 10), 10);
          totals.add(watched.submitToFirstMs());
          toStarted.add(watched.submitToStartedMs());
          noopDelays.addAll(watched.browserDelaysMs());
        }
        firstP50.add(Samples.percentile(totals, 50));
        firstP99.add(Samples.percentile(totals, 99));
        note(String.format("submit->first task, run %d: p50 %.0f ms, p99 %.0f ms, min %.0f, max %.0f over %d jobs",
            run, Samples.percentile(totals, 50), Samples.percentile(totals, 99), Collections.min(totals),
            Collections.max(totals), totals.size()));
      }
      for (int run = 1; run <= options.integer("--runs"); run++) {
        List<Double> delays = new ArrayList<>();
        for (int job = 0; job < options.integer("--browser-jobs"); job++) {
          LatencyProbe.Watched watched = probe.watch(new JsonObject().put("type", "sleep").put("count", tasks)
              .put("payload", new JsonObject().put("ms", taskMs)), tasks);
          delays.addAll(watched.browserDelaysMs());
          spans.add((double) watched.spanMs());
          note(String.format("sleep job, run %d: %d snapshots, %d tasks finished over %d ms, "
              + "%d never shown before the end", run, watched.snapshots(), tasks, watched.spanMs(), watched.unseen()));
        }
        streamP50.add(Samples.percentile(delays, 50));
        streamP99.add(Samples.percentile(delays, 99));
        note(String.format("task done->browser, run %d: p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d tasks", run,
            Samples.percentile(delays, 50), Samples.percentile(delays, 99), Samples.percentile(delays, 100),
            delays.size()));
      }
    }
    double toStartedP50 = Samples.percentile(toStarted, 50);
    String runsNote = (firstP50.size() == 1 ? "one run of " : "median of " + firstP50.size() + " runs of ") + jobs
        + " sequential 10-task count jobs, POST sent -> earliest log 'at'";
    figures.add(new Figure("latency.first-task.p50", "Submit → first task done, p50",
        String.format("%.0f ms", Samples.median(firstP50)),
        runsNote + String.format("; POST -> startedAt p50 %.0f ms, the rest is the workers finding the new topic",
            toStartedP50), "< 1 s", Samples.median(firstP50) < 1000));
    figures.add(Figure.reference("latency.first-task.p99", "Submit → first task done, p99",
        String.format("%.0f ms", Samples.median(firstP99)), runsNote));
    figures.add(Figure.reference("latency.browser.noop", "Task done → browser, 10-task no-op jobs, p50 / p99",
        String.format("%.0f / %.0f ms", Samples.percentile(noopDelays, 50), Samples.percentile(noopDelays, 99)),
        String.format("the same %d jobs watched through a SockJS WebSocket client; %d tasks", jobs * firstP50.size(),
            noopDelays.size())));
    String streamDetail = String.format("SockJS WebSocket client on the bridge; per run %d job(s) of %d sleep tasks of "
            + "%d ms; each task's log 'at' (when the task finished) to the first snapshot counting it; median of %d "
            + "runs: p50 %s, p99 %s; the jobs ran over %.0f ms (median)", options.integer("--browser-jobs"), tasks,
        taskMs, streamP99.size(), Samples.runs(streamP50, "%.0f"), Samples.runs(streamP99, "%.0f"),
        Samples.median(spans));
    figures.add(Figure.reference("latency.browser.p50", "Task done → browser-visible progress, p50",
        String.format("%.0f ms", Samples.median(streamP50)), streamDetail));
    figures.add(new Figure("latency.browser.p99", "Task done → browser-visible progress, p99",
        String.format("%.0f ms", Samples.median(streamP99)), streamDetail, "< 250 ms",
        Samples.median(streamP99) < 250));
  }

  private double topicPairRate(String servers, int pairs, int creators, int pairsPerRequest) {
    List<Double> rates = new ArrayList<>();
    for (int run = 1; run <= options.integer("--runs"); run++) {
      try {
        rates.add(new RawKafkaRate(servers, 1).topicPairRate(pairs, creators, pairsPerRequest));
      } catch (Exception e) {
        throw new IllegalStateException("measuring topic creation failed", e);
      }
    }
    note(String.format("topic pairs, %d creators, %d pairs per request: %s pairs/s", creators, pairsPerRequest,
        rates.stream().map(rate -> String.format("%.1f", rate)).toList()));
    return Samples.median(rates);
  }

  private void singleTaskJobs(FanoutHttp http, FanoutApp app) throws Exception {
    section("Scenario 5: single-task jobs");
    SingleTaskJobs scenario = new SingleTaskJobs(app.vertx(), http);
    int jobs = options.integer("--single-jobs");
    List<SingleTaskJobs.Result> runs = new ArrayList<>();
    for (int run = 1; run <= options.integer("--runs"); run++) {
      SingleTaskJobs.Result result = scenario.run(jobs, options.seconds("--single-timeout"));
      note(String.format("run %d: %d of %d compute jobs final in %.1f s = %.1f jobs/s; per job median "
              + "created->started %.0f ms, started->finished %.0f ms", run, result.finished(), result.submitted(),
          result.seconds(), result.jobsPerSecond(), result.queuedMs(), result.runningMs()));
      runs.add(result);
    }
    double rate = median(runs, SingleTaskJobs.Result::jobsPerSecond);
    boolean allFinished = runs.stream().allMatch(r -> r.finished() == r.submitted());
    String detail = String.format("%d one-task compute jobs submitted at once, first POST to last final event, "
            + "median of %d: %s; per job created->started %.0f ms, started->finished %.0f ms (medians)%s", jobs,
        runs.size(), spread(runs, SingleTaskJobs.Result::jobsPerSecond), median(runs, SingleTaskJobs.Result::queuedMs),
        median(runs, SingleTaskJobs.Result::runningMs),
        allFinished ? "" : "; some runs hit the " + options.integer("--single-timeout") + " s limit");
    figures.add(new Figure("single-task.jobs", "Single-task (`compute`) jobs/s", String.format("%.1f jobs/s", rate),
        detail, "≥ 200 jobs/s", rate >= 200));
    int concurrency = app.settings().integer(Settings.DISPATCH_CONCURRENCY);
    // Side by side, a request each (as dispatchers did), and batched, one request at a time (as
    // they do now: the fan-outs waiting meanwhile go together in the next request).
    String servers = app.settings().string(Settings.KAFKA_BOOTSTRAP_SERVERS);
    double apart = topicPairRate(servers, jobs, concurrency, 1);
    double batched = topicPairRate(servers, jobs, 1, concurrency);
    figures.add(Figure.reference("kafka.topic-pairs.apart", "Raw Kafka: topic pairs created and led per second, a "
        + "request each, " + concurrency + " at once", String.format("%.1f pairs/s", apart), String.format(
            "%d pairs of one-partition topics, each request awaited until its topics have leaders, median of %d runs",
            jobs, options.integer("--runs"))));
    figures.add(Figure.reference("kafka.topic-pairs", "Raw Kafka: topic pairs created and led per second, "
        + concurrency + " per request, one request at a time (as dispatchers create them)",
        String.format("%.1f pairs/s", batched), String.format("the same %d pairs, median of %d runs", jobs,
            options.integer("--runs"))));
    figures.add(Figure.reference("single-task.vs.topics", "Single-task jobs/s ÷ batched topic pairs/s (same run)",
        String.format("%.2f", rate / batched), "what a one-task job costs beyond creating its two topics"));
    List<Double> readRates = new ArrayList<>();
    for (int run = 1; run <= options.integer("--runs"); run++) {
      try {
        readRates.add(new RawKafkaRate(servers, 1).newTopicsReadRate(jobs, concurrency));
      } catch (Exception e) {
        throw new IllegalStateException("measuring how fast a group reads new topics failed", e);
      }
    }
    double readRate = Samples.median(readRates);
    figures.add(Figure.reference("kafka.new-topics-read", "Raw Kafka: new topics a consumer group starts reading, "
        + "per second (one record each)", String.format("%.1f topics/s", readRate), String.format("%d topics created "
            + "%d per request, one plain group member with Fanout's consumer settings subscribing again after each "
            + "request, first request to last record read, median of %d: %s", jobs, concurrency, readRates.size(),
            readRates.stream().map(r -> String.format("%.1f", r)).toList())));
    figures.add(Figure.reference("single-task.vs.new-topics-read", "Single-task jobs/s ÷ new topics read/s (same run)",
        String.format("%.2f", rate / readRate), "what a one-task job costs beyond Kafka's own start on its topic"));
    smallJobs(http, app);
  }

  /**
   * What a user with small jobs sees: one-task jobs/s from concurrent clients, submit to first
   * task done one job at a time, and the same beside a huge job; each beside this run's limits,
   * a record's round trip through Kafka and the rate at which the broker makes topics.
   */
  private void smallJobs(FanoutHttp http, FanoutApp app) throws Exception {
    Settings settings = app.settings();
    String servers = settings.string(Settings.KAFKA_BOOTSTRAP_SERVERS);
    List<Double> trips = new RawKafkaRate(servers, 1).roundTripsMs(options.integer("--small-round-trips"),
        KafkaClients.producer(settings, "bench-round-trip"),
        KafkaClients.consumer(settings, "bench-round-trip", "unused"));
    double tripP50 = Samples.percentile(trips, 50);
    double tripP99 = Samples.percentile(trips, 99);
    int topics = options.integer("--small-topics");
    int perRequest = 2 * settings.integer(Settings.DISPATCH_CONCURRENCY);
    List<Double> topicRates = new ArrayList<>();
    for (int run = 1; run <= options.integer("--runs"); run++) {
      topicRates.add(TopicCreationRate.topicsPerSecond(clients, settings, topics, perRequest));
    }
    double topicRate = Samples.median(topicRates);
    note(String.format("limits: one record's round trip p50 %.1f ms, p99 %.1f ms; topics created %s /s", tripP50,
        tripP99, Samples.runs(topicRates, "%,.0f")));
    String limits = String.format("limits, same run: a record's round trip p50 %.1f ms, topics created %,.0f/s",
        tripP50, topicRate);
    figures.add(Figure.reference("kafka.round-trip.p50", "Raw Kafka: one record produced → consumed, p50",
        String.format("%.1f ms", tripP50), String.format("%d records one at a time, Fanout's producer settings, a "
            + "consumer with the workers' settings holding the partition; p99 %.1f ms", trips.size(), tripP99)));
    figures.add(Figure.reference("kafka.topics.created", "Raw Kafka: topics created and led per second, in batches",
        String.format("%,.0f topics/s", topicRate), String.format("%d one-partition topics through the dispatchers' "
            + "TopicCreator and admin settings, %d per request, one request at a time, median of %d: %s", topics,
            perRequest, topicRates.size(), Samples.runs(topicRates, "%,.0f"))));

    int jobs = options.integer("--small-jobs");
    int submitters = options.integer("--small-clients");
    SingleTaskJobs scenario = new SingleTaskJobs(app.vertx(), http);
    List<SingleTaskJobs.Result> runs = new ArrayList<>();
    String warmedUp;
    try (RedisProbe redis = new RedisProbe(clients, app.settings().string(Settings.REDIS_URL))) {
      CpuPerJob cpu = new CpuPerJob(redis);
      warmedUp = warmUp(scenario, submitters, cpu);
      for (int run = 1; run <= options.integer("--runs"); run++) {
        SingleTaskJobs.Result result = scenario.run(jobs, submitters, options.seconds("--small-timeout"), cpu);
        note(String.format("run %d: %d of %d compute jobs from %d clients final in %.1f s = %.1f jobs/s; %s", run,
            result.finished(), result.submitted(), submitters, result.seconds(), result.jobsPerSecond(),
            result.cost() == null ? "none finished" : result.cost().describe()));
        runs.add(result);
      }
    }
    String cost = runs.stream().map(SingleTaskJobs.Result::cost).filter(java.util.Objects::nonNull)
        .min(java.util.Comparator.comparingDouble(c -> c.jvmMs() + c.redisMs())).map(CpuPerJob.Cost::describe)
        .orElse("no job finished");
    double rate = median(runs, SingleTaskJobs.Result::jobsPerSecond);
    boolean allFinished = runs.stream().allMatch(r -> r.finished() == r.submitted());
    figures.add(new Figure("small-jobs.concurrent", "One-task jobs/s, " + submitters + " clients submitting",
        String.format("%.1f jobs/s", rate), String.format("%d one-task compute jobs %s, each client "
            + "sending its next once its last was accepted, first POST to last final event, median of %d: %s%s; %s (%.0f jobs/s if each "
            + "job made two topics); %s (the cheapest run)", jobs, warmedUp, runs.size(),
            spread(runs, SingleTaskJobs.Result::jobsPerSecond),
            allFinished ? "" : "; some runs hit the " + options.integer("--small-timeout") + " s limit", limits,
            topicRate / 2, cost), "≥ 500 jobs/s", rate >= 500));

    int probes = options.integer("--small-latency-jobs");
    JobLog log = new JobLog(http);
    try (SockJsBridgeClient browser = SockJsBridgeClient.connect(clients, settings.integer(Settings.PROGRESS_PORT))) {
      LatencyProbe probe = new LatencyProbe(http, log, browser);
      List<Double> idle = firstTaskTimes(probe, probes);
      double idleP50 = Samples.percentile(idle, 50);
      figures.add(new Figure("small-jobs.first-task.p50", "One-task job, submit → first task done, p50",
          String.format("%.0f ms", idleP50), String.format("%d one-task count jobs one at a time, POST sent -> the "
              + "task's log 'at'; p99 %.0f ms; %s", idle.size(), Samples.percentile(idle, 99), limits), "< 50 ms",
          idleP50 < 50));

      long bigTasks = options.integer("--small-busy-count");
      String big = http.submit(new JsonObject().put("type", "count").put("count", bigTasks));
      JsonObject bigRunning = awaitRunning(http, big, options.seconds("--small-timeout"));
      List<Double> busy = firstTaskTimes(probe, probes);
      JsonObject bigAfter = http.job(big);
      http.cancel(big);
      boolean overlapped = bigRunning != null && "running".equals(bigAfter.getString("status"));
      double busyP99 = Samples.percentile(busy, 99);
      figures.add(new Figure("small-jobs.first-task.busy.p99", "One-task job, submit → first task done, p99, "
          + "beside a running " + String.format("%,d", bigTasks) + "-task job", String.format("%.0f ms", busyP99),
          String.format("the same %d jobs one at a time while a %,d-task count job ran (%,d done when they began, %,d "
              + "when they ended%s; cancelled after); p50 %.0f ms; %s", busy.size(), bigTasks,
              bigRunning == null ? 0 : bigRunning.getLong("done"), bigAfter.getLong("done"),
              overlapped ? "" : ", NOT running throughout: no figure", Samples.percentile(busy, 50), limits),
          "< 250 ms", overlapped ? busyP99 < 250 : null));
    }
  }

  /**
   * Rounds of one-task jobs, not counted, until the JIT compiler used under --small-warmup-jit
   * percent of a core in a round, or --small-warmup-seconds have passed; says how it went, the
   * cold first round's rate included.
   */
  private String warmUp(SingleTaskJobs scenario, int submitters, CpuPerJob cpu) {
    int perRound = options.integer("--small-warmup-jobs");
    if (perRound == 0) {
      return "on a cold JVM (no warm-up)";
    }
    double quiet = options.integer("--small-warmup-jit") / 100.0;
    long deadline = System.nanoTime() + options.seconds("--small-warmup-seconds").toNanos();
    List<Double> rates = new ArrayList<>();
    double jit;
    boolean settled;
    do {
      SingleTaskJobs.Result warm = scenario.run(perRound, submitters, options.seconds("--small-timeout"), cpu);
      jit = warm.jitShare();
      // A round whose jobs did not all finish measured no settled JIT: its share is of too few jobs.
      settled = warm.finished() == warm.submitted() && jit < quiet;
      rates.add(warm.jobsPerSecond());
      note(String.format("warm-up round %d, not counted: %d of %d compute jobs from %d clients final in %.1f s = "
          + "%.1f jobs/s; the JIT compiler busy %.0f%% of a core", rates.size(), warm.finished(), warm.submitted(),
          submitters, warm.seconds(), warm.jobsPerSecond(), 100 * jit));
    } while (!settled && System.nanoTime() < deadline);
    return String.format("after %d warm-up rounds of %d not counted (%s jobs/s), %s", rates.size(), perRound,
        rates.stream().map(rate -> String.format("%.0f", rate)).collect(Collectors.joining(", ")),
        settled ? String.format("the last with the JIT compiler under %.0f%% of a core", 100 * quiet)
            : String.format("stopped at the time limit with the JIT compiler at %.0f%% of a core", 100 * jit));
  }

  /** Submit to first task done, in ms, of {@code jobs} one-task jobs watched one after another. */
  private static List<Double> firstTaskTimes(LatencyProbe probe, int jobs) {
    List<Double> times = new ArrayList<>();
    for (int job = 0; job < jobs; job++) {
      times.add(probe.watch(new JsonObject().put("type", "count").put("count", 1), 1).submitToFirstMs());
    }
    return times;
  }

  /** The job once it runs and has done some tasks; null if it does not within {@code limit}. */
  private static JsonObject awaitRunning(FanoutHttp http, String id, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      JsonObject job = http.job(id);
      if ("running".equals(job.getString("status")) && job.getLong("done") > 0) {
        return job;
      }
      FanoutHttp.pause(50);
    }
    return null;
  }

  /**
   * An API-only Fanout on a Redis database of its own: jobs accepted here are queued and stay
   * queued (no dispatcher), so thousands of them cannot swamp the broker for the next scenario.
   */
  private void intake(EmbeddedInfrastructure backends, Path data) {
    section("Scenario 4: intake");
    String redisUrl = backends.redisUrl() + "/2";
    int clientsCount = options.integer("--intake-clients");
    List<IntakeLoad.Result> runs = new ArrayList<>();
    try (FanoutApp api = startFanout(backends.bootstrapServers(), data.resolve("intake"), "api", redisUrl);
        RedisProbe redis = new RedisProbe(clients, redisUrl);
        FanoutHttp http = new FanoutHttp(clients, api.settings().integer(Settings.HTTP_PORT), clientsCount)) {
      IntakeLoad load = new IntakeLoad(http.web(), clientsCount);
      IntakeLoad.Result warmUp = load.run(options.seconds("--intake-seconds"), options.integer("--intake-max"));
      note(String.format("warm-up (not counted): %,.0f jobs/s", warmUp.acceptedPerSecond()));
      for (int run = 1; run <= options.integer("--runs"); run++) {
        redis.flush();
        IntakeLoad.Result result = load.run(options.seconds("--intake-seconds"), options.integer("--intake-max"));
        note(String.format("run %d: %,d accepted, %d refused or failed in %.1f s = %,.0f jobs/s; p50 %.1f ms, "
                + "p99 %.1f ms", run, result.accepted(), result.refused(), result.seconds(), result.acceptedPerSecond(),
            result.p50Ms(), result.p99Ms()));
        runs.add(result);
      }
      redis.flush();
    }
    double rate = median(runs, IntakeLoad.Result::acceptedPerSecond);
    double p99 = median(runs, IntakeLoad.Result::p99Ms);
    String detail = String.format("%d closed-loop Vert.x WebClient clients, keep-alive, %d s per run, compute jobs, "
            + "API-only process (no dispatcher running), median of %d: %s jobs/s; p99 %s ms",
        clientsCount, options.integer("--intake-seconds"), runs.size(),
        spread(runs, IntakeLoad.Result::acceptedPerSecond), Samples.runs(
            runs.stream().map(IntakeLoad.Result::p99Ms).toList(), "%.1f"));
    figures.add(new Figure("intake.rate", "Intake, POST /jobs accepted/s", perSecond(rate, "jobs"), detail,
        "≥ 5,000 jobs/s", rate >= 5000));
    figures.add(new Figure("intake.p99", "Intake, POST /jobs latency p99", String.format("%.1f ms", p99), detail,
        "< 50 ms", p99 < 50));
  }

  private void heap(EmbeddedInfrastructure backends, Path data, Path out) throws Exception {
    section("Scenario 6: heap of a huge job");
    Path dir = Files.createDirectories(data.resolve("heap"));
    long tasks = options.integer("--heap-count");
    String cap = options.string("--heap-max");
    BigJobHeap scenario = new BigJobHeap(backends.bootstrapServers(), backends.redisUrl() + "/3", dir);
    BigJobHeap.Result result = scenario.run(tasks, cap, options.seconds("--heap-timeout"), clients);
    for (String name : List.of("heap-child-gc.log", "heap-child.log", "heap-child-histogram.txt")) {
      if (Files.exists(dir.resolve(name))) {
        Files.copy(dir.resolve(name), out.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (Files.exists(dir.resolve("heap-child-histogram.txt"))) {
      List<String> top = Files.readAllLines(dir.resolve("heap-child-histogram.txt")).stream().limit(18).toList();
      report.append("\nLive objects of the heap child near the end of its run (jcmd GC.class_histogram, top):\n\n```\n")
          .append(String.join("\n", top)).append("\n```\n\n");
    }
    String progress = result.finished()
        ? String.format("completed in %.1f s (%,.0f tasks/s)", result.seconds(), result.rate())
        : String.format("cut at the %d s limit: %,d of %,d tasks done (%,.0f tasks/s, %,d dispatched to Kafka); "
                + "at that rate the whole job takes about %.0f s", options.integer("--heap-timeout"), result.done(),
            tasks, result.rate(), result.dispatched(), tasks / Math.max(1, result.rate()));
    String value = String.format("heap in use peaked at %d MB before / %d MB after a young GC, of %d MB%s",
        result.peakBeforeGcMb(), result.peakAfterGcMb(), result.heapCapMb(), Double.isNaN(result.liveMb()) ? ""
            : String.format("; %.0f MB live after a full GC near the end", result.liveMb()));
    String detail = String.format("%,d-task count job in a child JVM with -Xmx%s (every role, this run's broker and "
            + "Redis), %d collections in its GC log; %s%s", tasks, cap, result.collections(), progress,
        result.outOfMemory() ? "; the child ran out of memory or died" : "; no OutOfMemoryError");
    note(value + "; " + detail);
    Boolean met = result.outOfMemory() ? Boolean.FALSE : result.finished() ? Boolean.TRUE : null;
    String target = String.format("%,d-task job within a %s heap", tasks, cap);
    figures.add(new Figure("heap.big-job", "Heap of a " + String.format("%,d", tasks) + "-task job", value, detail,
        target, met));
  }

  private void dataset(FanoutApp app, EmbeddedInfrastructure backends, Path data) throws Exception {
    section("Scenario 7: a dataset job staged in Kafka");
    DatasetJob.Result result = new DatasetJob(clients, app.settings().integer(Settings.HTTP_PORT), backends.redisUrl())
        .run(options.integer("--dataset-items"), Files.createDirectories(data.resolve("dataset")),
            options.seconds("--dataset-timeout"));
    String detail = String.format("%,d-item sha256 dataset of %,d bytes sent as ndjson in %.1f s, then run in %.1f s "
            + "(startedAt to finishedAt): %s, %,d done; Redis used_memory sampled every 100 ms from before the upload "
            + "to the job's end", result.items(), result.bytes(), result.uploadSeconds(), result.runSeconds(),
        result.status(), result.done());
    note(detail);
    figures.add(new Figure("dataset.tasks", "Dataset job tasks/s (" + String.format("%,d", result.items())
        + " items)", perSecond(result.rate(), "tasks"), detail, "—", DatasetJob.completed(result) ? null : Boolean.FALSE));
    figures.add(new Figure("dataset.redis-peak", "Redis peak growth during a dataset job",
        String.format("%.1f MB", result.redisPeakGrowth() / 1e6), String.format("the dataset is %.1f MB; the job's "
            + "done and logged bitmaps alone are %.2f MB", result.bytes() / 1e6, 2 * result.items() / 8 / 1e6),
        "metadata only: far below the dataset's size", result.redisPeakGrowth() < result.bytes() / 10));
  }

  private void httpTasks(FanoutHttp http, FanoutApp app) {
    section("Scenario 8: http tasks against a local no-op service");
    int concurrency = options.integer("--http-concurrency");
    long count = options.integer("--http-count");
    try (HttpTaskRate scenario = new HttpTaskRate()) {
      List<HttpTaskRate.Result> jobs = new ArrayList<>();
      List<HttpTaskRate.Result> plain = new ArrayList<>();
      for (int run = 1; run <= options.integer("--runs"); run++) {
        HttpTaskRate.Result job = scenario.job(http, count, concurrency, options.seconds("--job-timeout"));
        HttpTaskRate.Result load = scenario.loadClient(clients, concurrency, options.integer("--http-load-seconds"));
        note(String.format("run %d: http job of %,d tasks %s in %.1f s = %.0f tasks/s; plain client %,d requests in "
            + "%.1f s = %.0f requests/s", run, count, job.status(), job.seconds(), job.rate(), load.requests(),
            load.seconds(), load.rate()));
        jobs.add(job);
        plain.add(load);
      }
      double tasks = median(jobs, HttpTaskRate.Result::rate);
      double requests = median(plain, HttpTaskRate.Result::rate);
      boolean completed = jobs.stream().allMatch(job -> "completed".equals(job.status()));
      figures.add(new Figure("http.tasks", "http tasks/s against a local no-op service", perSecond(tasks, "tasks"),
          String.format("count job of %,d tasks, concurrency %d, WORKER_POOL %d, startedAt to finishedAt, median of "
              + "%d: %s", count, concurrency, app.settings().integer(Settings.WORKER_POOL), jobs.size(),
              spread(jobs, HttpTaskRate.Result::rate)), "—", completed ? null : Boolean.FALSE));
      figures.add(Figure.reference("http.plain-client", "The same service from a plain load client",
          perSecond(requests, "requests"), String.format("Vert.x HttpClient, %d requests in flight, keep-alive, "
              + "%d s a run, median of %d: %s; Fanout reaches %.0f%% of it", concurrency,
              options.integer("--http-load-seconds"), plain.size(), spread(plain, HttpTaskRate.Result::rate),
              100 * tasks / requests)));
    }
  }

  private void section(String title) {
    report.append("\n## ").append(title).append("\n\n");
    OUT.println();
    OUT.println("== " + title);
  }

  private void note(String line) {
    report.append("- ").append(line).append('\n');
    OUT.println(line);
  }

  private void emit(String line) {
    report.append(line).append('\n');
    OUT.println(line);
  }

  private static String shownSettings(Settings settings) {
    JsonObject all = settings.asJson();
    StringBuilder shown = new StringBuilder();
    for (String name : SHOWN_SETTINGS) {
      shown.append(name).append('=').append(all.getValue(name)).append(' ');
    }
    return shown.toString().trim();
  }

  private static <T> double median(List<T> runs, Function<T, Double> figure) {
    return Samples.median(runs.stream().map(figure).toList());
  }

  private static <T> String spread(List<T> runs, Function<T, Double> figure) {
    return Samples.runs(runs.stream().map(figure).toList(), "%,.0f");
  }

  private static String perSecond(double rate, String what) {
    return String.format("%,.0f %s/s", rate, what);
  }

  private static String cutNote(List<EndToEndThroughput.Run> runs) {
    long cut = runs.stream().filter(run -> !run.finished()).count();
    return cut == 0 ? "" : "; " + cut + " run(s) cut at the time limit, rate up to then";
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      LOG.warn("Could not delete {}: {}", dir, e.toString());
    }
  }
}
