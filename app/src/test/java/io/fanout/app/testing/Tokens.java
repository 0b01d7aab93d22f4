package io.fanout.app.testing;

import io.fanout.core.auth.TokenHash;

/** The tokens the access tests configure: fresh each run, given to Fanout only as their hashes. */
public final class Tokens {
  public static final String ADMIN = TokenHash.newToken();
  /** Two submitters, so that one can try to change the other's jobs. */
  public static final String ALICE = TokenHash.newToken();
  public static final String BOB = TokenHash.newToken();
  public static final String VIEWER = TokenHash.newToken();

  /** AUTH_TOKENS for the four. */
  public static final String AUTH_TOKENS = String.join(",",
      "root:admin:" + TokenHash.of(ADMIN),
      "alice:submitter:" + TokenHash.of(ALICE),
      "bob:submitter:" + TokenHash.of(BOB),
      "vera:viewer:" + TokenHash.of(VIEWER));

  private Tokens() {}
}
