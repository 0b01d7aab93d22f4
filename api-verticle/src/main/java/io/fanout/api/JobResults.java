package io.fanout.api;

import io.fanout.core.Job;
import io.fanout.core.KafkaClients;
import io.fanout.core.LogLocation;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /jobs/<id>/results}: every task's outcome, in index order, as ndjson (each line the
 * task's log record) or CSV. The log holds outcomes in the order they happened, one record per
 * task, and a job may have millions: the answer is written in passes. A pass reads the log from
 * its start to the end it had when the request came, keeps the outcomes from the pass's first
 * index up, and, whenever they pass {@code RESULTS_PASS_BYTES}, drops the highest ones; it then
 * writes what it kept, and the next pass starts at the lowest index it dropped. So memory is that
 * budget whatever the job's size, and a job whose results fit is read once. A small job's records
 * are read from the shared express log, from the job's first possible offset, passing over the
 * other jobs' ({@link LogLocation}).
 */
final class JobResults {
  private static final Logger LOG = LoggerFactory.getLogger(JobResults.class);
  static final String CSV = "text/csv";
  static final String NDJSON = "application/x-ndjson";
  private static final Duration POLL = Duration.ofMillis(200);
  /** A log that gives nothing for this long while records are still due is not readable (its leader is away). */
  private static final long STALL_MS = 30_000;
  /** What an outcome costs beyond its text: the map's entry and the boxed index. */
  private static final long ENTRY_BYTES = 64;
  /** Lines are written to the response this many bytes at a time, each write awaited. */
  private static final int WRITE_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final Settings settings;

  JobResults(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  /** Writes the job's results to the response, which has had its status and headers set, and ends it. */
  Future<Void> stream(Job job, boolean csv, HttpServerResponse response) {
    String jobId = job.id();
    if (csv) {
      response.write("index,status,attempts,result,error\r\n");
    }
    Map<String, String> config = KafkaClients.reader(settings, "results-" + UUID.randomUUID());
    // Outcomes are logged in transactions: an aborted one is not a result.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return vertx.executeBlocking(() -> new LogPasses(LogLocation.of(job), config), false)
        .compose(passes -> writeFrom(passes, 0, csv, response)
            .onSuccess(written -> LOG.info("Results of job {}: {} outcomes in {} pass(es) over its log", jobId,
                passes.outcomes, passes.passes))
            .eventually(() -> vertx.executeBlocking(() -> {
              passes.close();
              return null;
            }, false)))
        .compose(written -> response.end());
  }

  private Future<Void> writeFrom(LogPasses passes, long from, boolean csv, HttpServerResponse response) {
    long budget = settings.longValue(Settings.RESULTS_PASS_BYTES);
    return vertx.executeBlocking(() -> passes.read(from, budget), false)
        .compose(pass -> {
          passes.outcomes += pass.outcomes().size();
          return write(pass.outcomes(), csv, response)
              .compose(written -> pass.next() < 0 ? Future.succeededFuture()
                  : writeFrom(passes, pass.next(), csv, response));
        });
  }

  /** Writes the pass's lines a chunk at a time, each once the previous one has gone out. */
  private Future<Void> write(NavigableMap<Long, String> outcomes, boolean csv, HttpServerResponse response) {
    Buffer chunk = Buffer.buffer(WRITE_BYTES + 1024);
    while (!outcomes.isEmpty() && chunk.length() < WRITE_BYTES) {
      String record = outcomes.pollFirstEntry().getValue();
      chunk.appendString(csv ? csvLine(new JsonObject(record)) : record).appendString(csv ? "\r\n" : "\n");
    }
    if (chunk.length() == 0) {
      return Future.succeededFuture();
    }
    return response.write(chunk).compose(written -> write(outcomes, csv, response));
  }

  private static String csvLine(JsonObject record) {
    Object result = record.getValue("result");
    return record.getLong("index") + "," + record.getString("status", "") + "," + record.getInteger("attempts", 0)
        + "," + csvField(result == null ? "" : result instanceof String text ? text : String.valueOf(
            io.vertx.core.json.Json.encode(result))) + "," + csvField(record.getString("error", ""));
  }

  /** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
  private static String csvField(String value) {
    if (value.chars().noneMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }

  /** A pass's outcomes by index, and where the next pass starts (-1 when this was the last). */
  private record Pass(NavigableMap<Long, String> outcomes, long next) {}

  /** One request's reader of the log, used on worker threads one pass after the other. */
  private static final class LogPasses implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final LogLocation log;
    private final TopicPartition partition;
    /** The log's end when the request came: later outcomes are not in this answer. */
    private final long end;
    /** For the request's log line: passes made, outcomes written. */
    private int passes;
    private long outcomes;

    LogPasses(LogLocation log, Map<String, String> config) {
      this.log = log;
      this.partition = new TopicPartition(log.topic(), 0);
      this.consumer = new KafkaConsumer<>(Map.copyOf(config));
      consumer.assign(List.of(partition));
      this.end = consumer.endOffsets(List.of(partition)).get(partition);
    }

    Pass read(long from, long budget) {
      passes++;
      TreeMap<Long, String> kept = new TreeMap<>();
      long bytes = 0;
      long dropped = -1;
      consumer.seek(partition, log.from());
      long lastRecordAt = System.currentTimeMillis();
      while (consumer.position(partition) < end) {
        var records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          lastRecordAt = System.currentTimeMillis();
        } else if (System.currentTimeMillis() - lastRecordAt > STALL_MS) {
          throw new IllegalStateException("the log " + partition + " gave nothing for " + STALL_MS + " ms");
        }
        for (ConsumerRecord<String, String> record : records) {
          if (record.offset() >= end) {
            break;
          }
          if (!log.holds(record.key())) {
            continue; // another small job's record in the express log
          }
          long index = indexOf(record.value());
          if (index < from || (dropped >= 0 && index >= dropped)) {
            continue;
          }
          kept.put(index, record.value());
          bytes += ENTRY_BYTES + 2L * record.value().length();
          while (bytes > budget && kept.size() > 1) {
            Map.Entry<Long, String> highest = kept.pollLastEntry();
            bytes -= ENTRY_BYTES + 2L * highest.getValue().length();
            dropped = highest.getKey();
          }
        }
      }
      return new Pass(kept, dropped);
    }

    /** The task's index, or -1 for a record that is not a task's outcome (a lifecycle record). */
    private static long indexOf(String value) {
      try {
        Object index = new JsonObject(value).getValue("index");
        return index instanceof Number number ? number.longValue() : -1;
      } catch (DecodeException | ClassCastException e) {
        return -1;
      }
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(1));
    }
  }
}
