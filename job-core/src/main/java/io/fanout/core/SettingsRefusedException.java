package io.fanout.core;

/**
 * A start refused because of something an operator must fix in the settings or in what they
 * point at (a wrong password, an unreachable host, an untrusted certificate). Its message names
 * the setting and holds no secret, so the launcher prints it alone, without a stack trace.
 */
public class SettingsRefusedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public SettingsRefusedException(String message) {
    super(message);
  }
}
