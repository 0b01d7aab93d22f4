package io.fanout.worker.http;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The secrets {@code http} jobs may put in their headers by name. A job holds only the name; its
 * value is found here, in the environment ({@code FANOUT_SECRET_<NAME>}) or in the JSON object of
 * the file {@code HTTP_TASK_SECRETS} names, and is never written to a job, a log or a result.
 */
final class TaskSecrets {
  static final String ENV_PREFIX = "FANOUT_SECRET_";

  private final Map<String, String> environment;
  private final JsonObject fromFile;

  private TaskSecrets(Map<String, String> environment, JsonObject fromFile) {
    this.environment = environment;
    this.fromFile = fromFile;
  }

  /** The secrets of this process; {@code file} null or blank for none but the environment's. */
  static TaskSecrets load(String file) {
    JsonObject fromFile = new JsonObject();
    if (file != null && !file.isBlank()) {
      try {
        fromFile = new JsonObject(Files.readString(Path.of(file)));
      } catch (IOException | RuntimeException unreadable) {
        // The file's content is never quoted: it holds secrets.
        throw new IllegalStateException("HTTP_TASK_SECRETS " + file + " is not a readable JSON object of name to value");
      }
    }
    return new TaskSecrets(System.getenv(), fromFile);
  }

  /** The secret's value, or null if this worker holds no secret of that name. */
  String valueOf(String name) {
    String value = environment.get(ENV_PREFIX + name);
    return value != null ? value : fromFile.getString(name);
  }
}
