package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Objects;

/**
 * A broadcast on {@link Addresses#CONTROL} to every worker and dispatcher: a job was cancelled or
 * queued again, a job's topics exist, or every worker is to pause or resume.
 *
 * @param jobId the job it is about; null for {@link Action#PAUSE} and {@link Action#RESUME}
 */
public record ControlMessage(Action action, String jobId) {
  public static final String ACTION = "action";
  public static final String JOB_ID = "jobId";

  public enum Action {
    /** The job was cancelled: workers drop its tasks. */
    CANCEL(true),
    /** The job's failed tasks are queued again: workers forget that it ended. */
    RETRY(true),
    /** The job's task topic exists: workers look for it now rather than at their next metadata refresh. */
    TOPICS(true),
    /** An operator paused every worker. */
    PAUSE(false),
    /** An operator resumed every worker. */
    RESUME(false);

    private final boolean aboutAJob;

    Action(boolean aboutAJob) {
      this.aboutAJob = aboutAJob;
    }

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Action fromWire(String name) {
      for (Action action : values()) {
        if (action.wireName().equals(name)) {
          return action;
        }
      }
      throw new IllegalArgumentException("unknown control action '" + name + "'");
    }
  }

  public ControlMessage {
    Objects.requireNonNull(action, "action");
    if (action.aboutAJob && !JobId.isWellFormed(jobId)) {
      throw new IllegalArgumentException("control action " + action.wireName() + " needs a job id, not '" + jobId + "'");
    }
    if (!action.aboutAJob && jobId != null) {
      throw new IllegalArgumentException("control action " + action.wireName() + " is about no job");
    }
  }

  public static ControlMessage cancel(String jobId) {
    return new ControlMessage(Action.CANCEL, jobId);
  }

  public static ControlMessage retry(String jobId) {
    return new ControlMessage(Action.RETRY, jobId);
  }

  public static ControlMessage topics(String jobId) {
    return new ControlMessage(Action.TOPICS, jobId);
  }

  /** Pause when {@code pause}, else resume. */
  public static ControlMessage pauseWorkers(boolean pause) {
    return new ControlMessage(pause ? Action.PAUSE : Action.RESUME, null);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put(ACTION, action.wireName());
    if (jobId != null) {
      json.put(JOB_ID, jobId);
    }
    return json;
  }

  /** @throws IllegalArgumentException for an unknown action, or a job id missing or where none belongs */
  public static ControlMessage fromJson(JsonObject json) {
    return new ControlMessage(Action.fromWire(Wire.string(json, ACTION)), Wire.optionalString(json, JOB_ID));
  }
}
