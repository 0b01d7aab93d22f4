package io.fanout.worker;

import io.fanout.core.JobState;
import io.fanout.core.JobStore;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;

/**
 * Which jobs still want their tasks run, as this worker knows it. A job's task topic outlives
 * the job (cancelled, or finished while duplicates remain), so workers check before running a
 * task, without asking Redis for every poll: a running job is re-checked at most once per
 * {@code recheckMs}, and a cancel broadcast or a final count ends it at once.
 */
final class LiveJobs {
  private record Entry(boolean live, long checkedAt) {}

  private final JobStore store;
  private final long recheckMs;
  private final Map<String, Entry> known = new HashMap<>();

  LiveJobs(JobStore store, long recheckMs) {
    this.store = store;
    this.recheckMs = recheckMs;
  }

  Future<Boolean> isLive(String jobId) {
    Entry entry = known.get(jobId);
    long now = System.currentTimeMillis();
    if (entry != null && (!entry.live() || now - entry.checkedAt() < recheckMs)) {
      return Future.succeededFuture(entry.live());
    }
    return store.find(jobId).map(job -> {
      boolean live = job != null && job.status() == JobState.RUNNING;
      known.put(jobId, new Entry(live, now));
      return live;
    });
  }

  /** The job was cancelled or reached its final count: skip whatever of it is still in Kafka. */
  void ended(String jobId) {
    known.put(jobId, new Entry(false, System.currentTimeMillis()));
  }

  /** The job runs again (its failed tasks are retried): ask Redis next time. */
  void forget(String jobId) {
    known.remove(jobId);
  }
}
