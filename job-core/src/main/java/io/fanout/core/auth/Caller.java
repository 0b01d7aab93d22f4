package io.fanout.core.auth;

/**
 * Who made a request: the name of the token it carried and that token's role. With
 * authentication off every caller is {@link #OPEN}: nameless, and allowed everything.
 */
public record Caller(String name, AccessRole role) {
  public static final Caller OPEN = new Caller(null, AccessRole.ADMIN);

  public boolean may(AccessRole needed) {
    return role.atLeast(needed);
  }

  /**
   * Whether this caller may change a job submitted by {@code submittedBy}: an admin any job,
   * a submitter the ones it submitted. Jobs from before authentication (no submitter) are
   * an admin's.
   */
  public boolean mayChangeJobOf(String submittedBy) {
    return role == AccessRole.ADMIN || (role == AccessRole.SUBMITTER && name != null && name.equals(submittedBy));
  }
}
