package io.fanout.core;

/** A job was asked to make a change the transition table forbids. */
public final class IllegalStateChangeException extends IllegalStateException {
  private final JobState from;
  private final JobState to;

  public IllegalStateChangeException(JobState from, JobState to) {
    super("a job cannot go from '" + from.wireName() + "' to '" + to.wireName() + "'");
    this.from = from;
    this.to = to;
  }

  public JobState from() {
    return from;
  }

  public JobState to() {
    return to;
  }
}
