package io.fanout.core;

import io.vertx.redis.client.RedisClientType;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Turns a failure to reach Redis into one sentence for an operator: what went wrong and which
 * setting to look at, with no password in it. Used at start (fail fast) and by {@code /health}.
 */
public final class RedisDiagnosis {
  private RedisDiagnosis() {}

  /**
   * Failures that waiting will not cure: credentials, permissions, TLS, settings, and a plain
   * connection dropped by the server before it answered (a TLS-only port, most likely).
   */
  public static boolean isLasting(Throwable failure, Settings settings) {
    String text = chainText(failure);
    return text.contains("WRONGPASS") || text.contains("NOAUTH") || text.contains("NOPERM")
        || find(failure, SSLException.class) != null || find(failure, SettingsRefusedException.class) != null
        || !plainToTlsHint(failure, settings).isEmpty();
  }

  public static String explain(Throwable failure, Settings settings) {
    String where = RedisClients.describe(settings);
    String text = chainText(failure);
    String explained;
    if (find(failure, SettingsRefusedException.class) != null) {
      explained = find(failure, SettingsRefusedException.class).getMessage();
    } else if (text.contains("WRONGPASS") || text.contains("NOAUTH")) {
      explained = "Redis refused the credentials (" + firstLine(text) + "): check REDIS_USER and REDIS_PASSWORD, "
          + "or the user:password in REDIS_URL, for " + where;
    } else if (text.contains("NOPERM")) {
      explained = "The Redis user may not run a command Fanout needs (" + firstLine(text) + "): its ACL must allow "
          + "Fanout's commands and keys (e.g. '~* &* +@all' less what you forbid), for " + where;
    } else if (find(failure, SSLException.class) != null) {
      explained = "TLS with Redis failed (" + firstLine(find(failure, SSLException.class).getMessage()) + "): check "
          + "REDIS_TLS_TRUST_PEM (the CA that signed the server's certificate), REDIS_TLS_VERIFY_HOSTNAME (the "
          + "certificate must name the host of REDIS_URL), and REDIS_TLS_CERT_PEM / REDIS_TLS_KEY_PEM if the server "
          + "asks for a client certificate, for " + where;
    } else if (RedisClients.type(settings) == RedisClientType.SENTINEL) {
      // The sentinels named a master that does not answer, or none: either way a failover may be under way.
      explained = "No Redis master named REDIS_MASTER_NAME=" + settings.string(Settings.REDIS_MASTER_NAME)
          + " answers through the sentinels of REDIS_URL (" + firstLine(text) + "); a failover may be under way, "
          + "for " + where;
    } else {
      explained = "Redis does not answer (" + firstLine(text) + "): check REDIS_URL" + plainToTlsHint(failure, settings)
          + " and that the server is up and reachable, for " + where;
    }
    return RedisClients.scrub(explained, settings);
  }

  /** A TLS-only server drops a plain connection without a word: say so, as that is the usual cause. */
  private static String plainToTlsHint(Throwable failure, Settings settings) {
    boolean plain = RedisClients.endpoints(settings).get(0).startsWith("redis://");
    String text = chainText(failure).toLowerCase(Locale.ROOT);
    boolean closed = text.contains("closed") || text.contains("reset");
    return plain && closed ? " (if the server speaks TLS only, it needs rediss://)" : "";
  }

  private static String firstLine(String text) {
    int end = text.indexOf('\n');
    return (end < 0 ? text : text.substring(0, end)).trim();
  }

  private static String chainText(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (text.length() > 0) {
        text.append(": ");
      }
      text.append(cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName());
    }
    return text.toString();
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (type.isInstance(cause)) {
        return type.cast(cause);
      }
    }
    return null;
  }
}
