package io.fanout.core.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a token may do. The roles are a ladder: each may do everything the one below it may,
 * so a check is one comparison ({@link #atLeast}).
 */
public enum AccessRole {
  /** Reads jobs, their logs and failures, the queue, the cluster and live progress. */
  VIEWER,
  /** Also submits jobs, and changes (cancels, reprioritises, retries) the jobs it submitted. */
  SUBMITTER,
  /** Everything: other callers' jobs, pausing and resuming workers, managing tokens. */
  ADMIN;

  public boolean atLeast(AccessRole needed) {
    return compareTo(needed) >= 0;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role a token entry names, or {@link IllegalArgumentException} naming the roles there are. */
  public static AccessRole parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown role '" + name + "'; roles are " + names(), e);
    }
  }

  public static String names() {
    return Arrays.stream(values()).map(AccessRole::wireName).collect(Collectors.joining(", "));
  }
}
