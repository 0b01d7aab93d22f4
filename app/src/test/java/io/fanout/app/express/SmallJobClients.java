package io.fanout.app.express;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.core.JobState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clients of the HTTP API that submit one-task {@code sha256} jobs concurrently, as many users
 * with small jobs would, then check each job against the contract only: completed, done 1, failed
 * 0, and its log holding exactly one task record, whose digest is the right one, then the job's
 * end. Every wait is bounded; nothing here names how Fanout runs a small job.
 */
final class SmallJobClients implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SmallJobClients.class);
  /** The one task of job {@code input}: {@code sha256} hashes {@code payload.input} followed by the index, 0. */
  private static final String ONLY_TASK = "0";
  private static final Duration LOG_WAIT = Duration.ofSeconds(60);
  private static final int LOG_PAGE = 100;

  /** A small job as submitted: its id and the input its one task hashes. */
  record Submitted(String id, String input) {}

  /** What a job's log held once it ended: the worker that logged its one task. */
  record Checked(String id, String worker) {}

  private final WebClient http;
  private final int clients;
  private final ExecutorService pool;

  /** {@code clients} clients of the API on {@code port}, each with a connection of its own. */
  SmallJobClients(Vertx vertx, int port, int clients) {
    this.http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(clients));
    this.clients = clients;
    this.pool = Executors.newFixedThreadPool(clients);
  }

  /**
   * Each client submits its share of {@code jobs} one after another over HTTP, all clients at once;
   * returns every job, each accepted with 202. {@code prefix} makes the inputs (and so the digests)
   * of one run differ from another's.
   */
  List<Submitted> submit(String prefix, int jobs, Duration timeout) {
    return timed("submitted " + jobs + " one-task jobs", () -> everyClient(client -> {
      List<Submitted> mine = new ArrayList<>();
      for (int k = client; k < jobs; k += clients) {
        String input = prefix + "-" + k + "-";
        JsonObject body = new JsonObject().put("type", "sha256").put("count", 1)
            .put("payload", new JsonObject().put("input", input));
        HttpResponse<Buffer> answer = Await.result(http.post("/jobs").sendJsonObject(body));
        assertThat(answer.statusCode()).as("POST /jobs: %s", answer.bodyAsString()).isEqualTo(202);
        mine.add(new Submitted(answer.bodyAsJsonObject().getString("jobId"), input));
      }
      return mine;
    }, timeout));
  }

  /**
   * Waits, each client asking about its share, until every job is in a final state; returns the
   * jobs as last read, by id. The call returns as soon as the last one is seen final.
   */
  Map<String, JsonObject> awaitFinal(List<Submitted> jobs, Duration timeout) {
    Map<String, JsonObject> finals = new ConcurrentHashMap<>();
    timed("saw " + jobs.size() + " jobs final", () -> everyClient(client -> {
      for (int k = client; k < jobs.size(); k += clients) {
        String id = jobs.get(k).id();
        finals.put(id, Await.until(() -> job(id),
            job -> JobState.fromWire(job.getString("status")).isFinal(), timeout));
      }
      return List.of();
    }, timeout.plusSeconds(30)));
    return finals;
  }

  /**
   * Checks every job as the contract says it ends (status, counts, one log record with the right
   * digest, then the job's end); returns who logged each job's task.
   */
  List<Checked> verify(List<Submitted> jobs, Map<String, JsonObject> finals, Duration timeout) {
    return timed("checked " + jobs.size() + " jobs and their logs", () -> everyClient(client -> {
      List<Checked> mine = new ArrayList<>();
      for (int k = client; k < jobs.size(); k += clients) {
        Submitted submitted = jobs.get(k);
        JsonObject job = finals.get(submitted.id());
        assertThat(job.getString("status")).as("job %s", submitted.id()).isEqualTo("completed");
        assertThat(job.getLong("total")).as("total of job %s", submitted.id()).isEqualTo(1);
        assertThat(job.getLong("done")).as("done of job %s", submitted.id()).isEqualTo(1);
        assertThat(job.getLong("failed")).as("failed of job %s", submitted.id()).isZero();
        mine.add(checkLog(submitted));
      }
      return mine;
    }, timeout));
  }

  /**
   * Reads the job's log until its end record is there (the job's status is counted in Redis a
   * moment before the worker's Kafka transaction makes the log readable), then expects exactly
   * one task record before it.
   */
  private Checked checkLog(Submitted submitted) {
    JsonArray records = Await.until(() -> http.get("/jobs/" + submitted.id() + "/log")
            .addQueryParam("from", "0").addQueryParam("limit", Integer.toString(LOG_PAGE)).send()
            .map(answer -> answer.statusCode() == 200 ? answer.bodyAsJsonObject().getJsonArray("records")
                // Not a page: kept as the last answer, so that a failure says what the API said instead.
                : new JsonArray().add(new JsonObject().put("status", answer.statusCode())
                    .put("body", answer.bodyAsString()))),
        logged -> logged.stream().map(SmallJobClients::record).anyMatch(record -> record.containsKey("event")),
        LOG_WAIT);
    List<JsonObject> taskRecords = records.stream().map(SmallJobClients::record)
        .filter(record -> record.containsKey("index")).toList();
    assertThat(taskRecords).as("task records in the log of job %s: %s", submitted.id(), records).hasSize(1);
    JsonObject task = taskRecords.get(0);
    assertThat(task.getLong("index")).isZero();
    assertThat(task.getString("status")).as("log of job %s", submitted.id()).isEqualTo("done");
    assertThat(task.getJsonObject("result").getString("value")).as("digest of job %s", submitted.id())
        .isEqualTo(sha256(submitted.input() + ONLY_TASK));
    JsonObject end = records.stream().map(SmallJobClients::record).filter(record -> record.containsKey("event"))
        .findFirst().orElseThrow();
    assertThat(end.getString("event")).isEqualTo("completed");
    assertThat(end.getLong("done")).isEqualTo(1);
    return new Checked(submitted.id(), task.getString("worker"));
  }

  /** Deletes the jobs' topics and records now (DELETE ?purge=true), as a user done with them would. */
  void purge(List<Submitted> jobs, Duration timeout) {
    timed("purged " + jobs.size() + " jobs", () -> everyClient(client -> {
      for (int k = client; k < jobs.size(); k += clients) {
        HttpResponse<Buffer> answer = Await.result(http.delete("/jobs/" + jobs.get(k).id())
            .addQueryParam("purge", "true").send());
        assertThat(answer.statusCode()).as("purge: %s", answer.bodyAsString()).isEqualTo(204);
      }
      return List.of();
    }, timeout));
  }

  Future<JsonObject> job(String id) {
    return http.get("/jobs/" + id).send().map(HttpResponse::bodyAsJsonObject);
  }

  static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static JsonObject record(Object entry) {
    Object record = ((JsonObject) entry).getValue("record");
    return record instanceof JsonObject json ? json : new JsonObject();
  }

  /** Logs how long a phase took: the test's figures on a branch where small jobs are slow, or fast. */
  private <T> T timed(String phase, java.util.function.Supplier<T> work) {
    long start = System.nanoTime();
    T result = work.get();
    LOG.info("{} clients {} in {} ms", clients, phase, (System.nanoTime() - start) / 1_000_000);
    return result;
  }

  /** Runs {@code work} once per client, all at once; the clients' results in client order. */
  private <T> List<T> everyClient(ClientWork<T> work, Duration timeout) {
    List<java.util.concurrent.Future<List<T>>> running = new ArrayList<>();
    for (int client = 0; client < clients; client++) {
      int number = client;
      running.add(pool.submit((Callable<List<T>>) () -> work.run(number)));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<T> all = new ArrayList<>();
    try {
      for (java.util.concurrent.Future<List<T>> one : running) {
        all.addAll(one.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      }
    } catch (ExecutionException e) {
      running.forEach(one -> one.cancel(true));
      if (e.getCause() instanceof AssertionError failed) {
        throw failed;
      }
      throw new AssertionError("a client failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      running.forEach(one -> one.cancel(true));
      throw new AssertionError("the clients did not finish within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return all;
  }

  @FunctionalInterface
  private interface ClientWork<T> {
    List<T> run(int client) throws Exception;
  }

  @Override
  public void close() {
    pool.shutdownNow();
    http.close();
  }
}
