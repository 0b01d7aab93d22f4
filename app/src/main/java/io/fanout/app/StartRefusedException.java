package io.fanout.app;

/**
 * Fanout will not start, for a reason an operator can fix: its message says which setting, in one
 * line, and the launcher prints just that (a stack trace would bury it) and exits non-zero.
 */
public final class StartRefusedException extends RuntimeException {
  public StartRefusedException(String message) {
    super(message, null, false, false);
  }
}
