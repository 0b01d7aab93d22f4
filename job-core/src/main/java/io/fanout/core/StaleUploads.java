package io.fanout.core;

import io.vertx.core.Future;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the staging topics of uploads that never became jobs: cut off with their API process,
 * or left behind by an API that could not delete them. An upload writes to its entry in the
 * {@link StagingLedger} as it streams; one silent for {@code UPLOAD_GRACE_MS} and not being
 * submitted is abandoned, its topic deleted, then its entry dropped (the ledger says why in that
 * order).
 */
public final class StaleUploads {
  private static final Logger LOG = LoggerFactory.getLogger(StaleUploads.class);
  private static final int SWEEP_LIMIT = 100;

  private final StagingLedger ledger;
  private final TopicAdmin admin;

  public StaleUploads(StagingLedger ledger, TopicAdmin admin) {
    this.ledger = ledger;
    this.admin = admin;
  }

  /**
   * Drops one upload if it has been silent since {@code staleBefore} and is not (being) a job:
   * marked abandoned, its topic deleted, its entry discarded; resolves true if it was dropped. The
   * API drops an upload it refused with {@code staleBefore} = forever: one whose job got queued
   * keeps its topic.
   */
  public Future<Boolean> drop(String jobId, long staleBefore) {
    return ledger.abandon(jobId, staleBefore).compose(abandoned -> !abandoned
        ? Future.succeededFuture(false)
        : admin.deleteTopics(List.of(Topics.items(jobId)))
            .compose(deleted -> ledger.discard(jobId))
            .map(true));
  }

  /** Resolves with the ids of the uploads whose staging topics this sweep deleted. */
  public Future<List<String>> sweep(long graceMs) {
    long staleBefore = System.currentTimeMillis() - graceMs;
    return ledger.silentSince(staleBefore, SWEEP_LIMIT).compose(ids -> {
      List<Future<String>> dropped = ids.stream()
          .map(id -> drop(id, staleBefore).map(gone -> gone ? id : null))
          .toList();
      return Future.join(dropped).otherwise(all -> null).map(all -> {
        List<String> done = dropped.stream().filter(Future::succeeded).map(Future::result)
            .filter(id -> id != null).toList();
        if (!done.isEmpty()) {
          LOG.info("Deleted the staging topics of {} upload(s) that never became jobs: {}", done.size(), done);
        }
        return done;
      });
    });
  }
}
