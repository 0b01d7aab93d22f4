package io.fanout.app.auth;

import io.fanout.core.auth.TokenHash;

/** The tokens the access tests configure: fresh each run, given to Fanout only as their hashes. */
final class Tokens {
  static final String ADMIN = TokenHash.newToken();
  /** Two submitters, so that one can try to change the other's jobs. */
  static final String ALICE = TokenHash.newToken();
  static final String BOB = TokenHash.newToken();
  static final String VIEWER = TokenHash.newToken();

  /** AUTH_TOKENS for the four. */
  static final String AUTH_TOKENS = String.join(",",
      "root:admin:" + TokenHash.of(ADMIN),
      "alice:submitter:" + TokenHash.of(ALICE),
      "bob:submitter:" + TokenHash.of(BOB),
      "vera:viewer:" + TokenHash.of(VIEWER));

  private Tokens() {}
}
