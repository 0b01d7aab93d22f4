package io.fanout.worker;

import io.fanout.core.Job;
import io.fanout.core.JobState;
import io.fanout.core.JobStore;
import io.vertx.core.Future;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which jobs still want their tasks run, as this worker knows it, and what their tasks are
 * (type, payload, total: task records carry only the index and item). Wanted are the jobs
 * running, and those finished, whose remaining records are tasks re-delivered after a crash, to
 * be logged, until the janitor deletes their topics and bitmaps: a copy that comes later (a small
 * job's tasks stay in the express topic) has no log to go to and no bitmap to be told apart by. A
 * cancelled job's tasks are skipped. Workers ask Redis at most once per
 * {@code recheckMs} per job, and a cancel broadcast ends a job at once.
 *
 * <p>Apart from that, which big jobs this worker knows to have ended (cancelled, or counted to
 * their end), for the commit rounds' threads: such a job's topics may be deleted at any moment
 * (by a purge, or by the janitor once TOPIC_RETENTION_MS has passed), while tasks of it still in
 * hand finish. A Kafka transaction that names a partition of a deleted topic can be neither
 * committed nor aborted (the producer retries adding the partition, or the offsets, until
 * max.block.ms), so a round puts nothing of such a job in its transaction unless Redis has just
 * said that it is to be logged.
 */
final class LiveJobs {
  /** Jobs remembered; the oldest are forgotten first, and asked about again if they come back. */
  private static final int REMEMBERED = 10_000;

  /** The job, or null when its tasks are not wanted. */
  private record Entry(Job job, long checkedAt) {}

  private final JobStore store;
  private final long recheckMs;
  private final Map<String, Entry> known = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
      return size() > REMEMBERED;
    }
  };

  /** Big jobs known to have ended: read on any thread, so each access holds the map's lock. */
  private final Set<String> ended = rememberedSet();

  /**
   * Jobs known to be cancelled, for the task pool's threads: their tasks already fetched and waiting
   * to run (up to the fetch limit, minutes of work for a slow task type) are dropped, not run.
   */
  private final Set<String> cancelled = rememberedSet();

  /** Lookups under way: a batch of many small jobs' records asks once per job, not once per record batch. */
  private final Map<String, Future<Job>> asking = new HashMap<>();

  LiveJobs(JobStore store, long recheckMs) {
    this.store = store;
    this.recheckMs = recheckMs;
  }

  /**
   * The job, if its tasks are to be run; null if they are to be skipped (cancelled, or no such
   * job). Fails while the job waits to run again (its failed tasks retried): the records of it
   * then in hand are asked about later, as when Redis cannot be reached.
   */
  Future<Job> wanted(String jobId) {
    Entry entry = known.get(jobId);
    long now = System.currentTimeMillis();
    if (entry != null && (entry.job() == null || now - entry.checkedAt() < recheckMs)) {
      return Future.succeededFuture(entry.job());
    }
    Future<Job> pending = asking.get(jobId);
    if (pending != null) {
      return pending;
    }
    Future<Job> lookup = store.find(jobId).compose(job -> {
      if (job != null && job.status() == JobState.QUEUED) {
        return Future.failedFuture("job " + jobId + " is queued to run again");
      }
      boolean wanted = job != null && job.status() != JobState.CANCELLED && job.topicsDeletedAt() == null;
      if (job != null && job.status() == JobState.CANCELLED) {
        cancelled.add(jobId);
      }
      known.put(jobId, new Entry(wanted ? job : null, now));
      return Future.succeededFuture(wanted ? job : null);
    });
    asking.put(jobId, lookup);
    return lookup.andThen(done -> asking.remove(jobId));
  }

  /** A set of job ids for any thread, holding the {@link #REMEMBERED} last used. */
  private static Set<String> rememberedSet() {
    return Collections.newSetFromMap(Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > REMEMBERED;
      }
    }));
  }

  /** The job was cancelled: skip whatever of it is still in Kafka. */
  void ended(String jobId) {
    known.put(jobId, new Entry(null, System.currentTimeMillis()));
    ended.add(jobId);
    cancelled.add(jobId);
  }

  /**
   * What counting a big job's outcomes found it to be: ended (a final state, or gone) or running
   * again. Null is a job Redis no longer knows.
   */
  void counted(String jobId, JobState status) {
    if (status == JobState.CANCELLED) {
      ended(jobId);
    } else if (status == null || status.isFinal()) {
      ended.add(jobId);
    } else if (status == JobState.RUNNING) {
      ended.remove(jobId);
    }
  }

  /** On any thread: whether the job is known to be cancelled, so that its tasks are not to run. */
  boolean isCancelled(String jobId) {
    return cancelled.contains(jobId);
  }

  /** On any thread: whether the job is known to have ended, so that its topics may be gone. */
  boolean hasEnded(String jobId) {
    return ended.contains(jobId);
  }

  /** The job runs again (its failed tasks are retried): ask Redis next time. */
  void forget(String jobId) {
    known.remove(jobId);
    ended.remove(jobId);
    cancelled.remove(jobId);
  }
}
