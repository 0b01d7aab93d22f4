package io.fanout.worker;

import io.vertx.core.json.jackson.JacksonCodec;

/**
 * Writes the log records of one job's outcomes, as a worker sends them to the job's log topic:
 * {@code {"jobId", "index", "status", "attempts", "worker", "at", "result" | "error"}}. There is
 * one such record per task, so the parts that are the same for the whole batch (the job, the
 * worker) are encoded once, and only the task's own fields are written per record; building a
 * {@code JsonObject} per task and encoding it cost more than the rest of recording it.
 */
final class LogRecords {
  /** Jackson's streaming encoder: per task it is cheaper than the data-binding one Vert.x picks. */
  private static final JacksonCodec CODEC = new JacksonCodec();

  private final String head;
  private final String workerField;
  private final StringBuilder out = new StringBuilder(256);

  LogRecords(String jobId, String workerId) {
    this.head = "{\"jobId\":" + CODEC.toString(jobId) + ",\"index\":";
    this.workerField = ",\"worker\":" + CODEC.toString(workerId);
  }

  /** The log record of this outcome, as JSON. */
  String of(Outcome outcome) {
    out.setLength(0);
    out.append(head).append(outcome.task().index())
        .append(outcome.succeeded() ? ",\"status\":\"done\"" : ",\"status\":\"failed\"")
        .append(",\"attempts\":").append(outcome.attempts())
        .append(workerField)
        .append(",\"at\":").append(outcome.finishedAt());
    if (outcome.succeeded()) {
      out.append(",\"result\":").append(outcome.result() == null ? "null" : CODEC.toString(outcome.result(), false));
    } else {
      out.append(",\"error\":").append(CODEC.toString(outcome.error()));
    }
    return out.append('}').toString();
  }
}
