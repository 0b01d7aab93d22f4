package io.fanout.worker;

import io.fanout.core.JobState;
import io.fanout.core.JobStore;
import io.vertx.core.Future;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which jobs still want their tasks run, as this worker knows it: those running, and those
 * finished, whose remaining records are tasks re-delivered after a crash, to be logged. A
 * cancelled job's tasks are skipped. Workers check this without asking Redis for every poll: a
 * job is re-checked at most once per {@code recheckMs}, and a cancel broadcast ends it at once.
 */
final class LiveJobs {
  /** Jobs remembered; the oldest are forgotten first, and asked about again if they come back. */
  private static final int REMEMBERED = 10_000;

  private record Entry(boolean live, long checkedAt) {}

  private final JobStore store;
  private final long recheckMs;
  private final Map<String, Entry> known = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
      return size() > REMEMBERED;
    }
  };

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
      boolean live = job != null && (job.status() == JobState.RUNNING || job.status() == JobState.COMPLETED
          || job.status() == JobState.FAILED);
      known.put(jobId, new Entry(live, now));
      return live;
    });
  }

  /** The job was cancelled: skip whatever of it is still in Kafka. */
  void ended(String jobId) {
    known.put(jobId, new Entry(false, System.currentTimeMillis()));
  }

  /** The job runs again (its failed tasks are retried): ask Redis next time. */
  void forget(String jobId) {
    known.remove(jobId);
  }
}
