package io.fanout.core;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Job ids are random UUIDs in their canonical lower-case form. The shape is part of the
 * contract: topic names, Redis keys and the browser bridge's address filter all embed it.
 */
public final class JobId {
  /** The id's shape, for embedding in other patterns. */
  public static final String REGEX = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  private static final Pattern SHAPE = Pattern.compile(REGEX);

  private JobId() {}

  public static String next() {
    return UUID.randomUUID().toString();
  }

  public static boolean isWellFormed(String candidate) {
    return candidate != null && SHAPE.matcher(candidate).matches();
  }
}
