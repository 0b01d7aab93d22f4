package io.fanout.app.testing;

import io.fanout.core.JobState;
import io.fanout.core.RedisKeys;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's counts as Redis has them, sampled as often as a test asks: for tests that watch a job
 * through a failure (a process or a broker killed) and measure how long it stood still.
 */
public final class JobTimeline {
  /** The job's counts at one moment. */
  public record Sample(long nanos, long done, long failed, String status) {
    public boolean isFinal() {
      return JobState.fromWire(status).isFinal();
    }
  }

  private final RedisProbe redis;
  private final String jobId;
  private final List<Sample> samples = new ArrayList<>();

  public JobTimeline(RedisProbe redis, String jobId) {
    this.redis = redis;
    this.jobId = jobId;
  }

  /** Reads the counts now, keeps them in the timeline and returns them. */
  public Sample sample() {
    Response counts = redis.send(Command.HMGET, RedisKeys.job(jobId), "done", "failed", "status");
    Sample sample = new Sample(System.nanoTime(), number(counts.get(0)), number(counts.get(1)),
        counts.get(2).toString());
    samples.add(sample);
    return sample;
  }

  public List<Sample> samples() {
    return List.copyOf(samples);
  }

  /** Whether done ever went down between two samples. */
  public boolean doneWentDown() {
    for (int i = 1; i < samples.size(); i++) {
      if (samples.get(i).done() < samples.get(i - 1).done()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The longest time, from {@code sinceNanos} (a kill, say) to the last sample, during which done
   * did not move: the first interval counts from {@code sinceNanos} itself.
   */
  public long longestStallMs(long sinceNanos) {
    long longest = 0;
    long lastMove = sinceNanos;
    long lastDone = -1;
    for (Sample sample : samples) {
      if (sample.nanos() <= sinceNanos) {
        lastDone = sample.done();
      } else if (lastDone < 0 || sample.done() > lastDone) {
        longest = Math.max(longest, sample.nanos() - lastMove);
        lastMove = sample.nanos();
        lastDone = sample.done();
      }
    }
    return longest / 1_000_000;
  }

  private static long number(Response value) {
    return value == null ? 0 : value.toLong();
  }
}
