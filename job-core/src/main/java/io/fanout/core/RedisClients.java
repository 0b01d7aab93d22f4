package io.fanout.core;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The one place Fanout's Redis client is made, so that every role reaches the same topology
 * (standalone, Sentinel or Cluster) with the same credentials, TLS settings and pool limits. It
 * also says how to show a Redis address to people: never with its password.
 */
public final class RedisClients {
  private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/@,]*:)[^@/,]*@");
  private static final Pattern QUERY_PASSWORD = Pattern.compile("([?&]password=)[^&,]*");
  private static final String PLAIN = "redis://";
  private static final String TLS = "rediss://";

  private RedisClients() {}

  public static Redis create(Vertx vertx, Settings settings) {
    Redis client = Redis.createClient(vertx, options(settings));
    return type(settings) == RedisClientType.CLUSTER ? new ClusterRedis(client) : client;
  }

  /** The client's options; a setting that cannot work fails here, naming itself. */
  public static RedisOptions options(Settings settings) {
    RedisClientType type = type(settings);
    List<String> endpoints = endpoints(settings);
    if (type == RedisClientType.STANDALONE && endpoints.size() > 1) {
      throw new SettingsRefusedException("REDIS_URL lists " + endpoints.size() + " endpoints; REDIS_TYPE=standalone "
          + "takes one (set REDIS_TYPE=sentinel or cluster for several)");
    }
    boolean tls = endpoints.get(0).startsWith(TLS);
    if (endpoints.stream().anyMatch(endpoint -> endpoint.startsWith(TLS) != tls)) {
      throw new SettingsRefusedException("REDIS_URL mixes redis:// and rediss:// endpoints; use one scheme for all");
    }
    ReplicaAck ack = ReplicaAck.from(settings);
    if (type == RedisClientType.CLUSTER && ack.enabled()) {
      // WAIT has no key, so a cluster client would send it to any node, not the one that wrote.
      throw new SettingsRefusedException("REDIS_MIN_REPLICAS_ACK works with REDIS_TYPE=standalone or sentinel, "
          + "not cluster; set it to 0");
    }
    RedisOptions options = new RedisOptions()
        .setType(type)
        .setEndpoints(endpoints)
        // Workers pipeline many script calls at once: let them wait for a connection, not fail.
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(4096)
        .setNetClientOptions(netClientOptions(settings, tls));
    String user = settings.optionalString(Settings.REDIS_USER);
    String password = settings.optionalString(Settings.REDIS_PASSWORD);
    // A user or password in REDIS_URL wins over these, as the client reads the URL first.
    if (password != null) {
      options.setPassword(password).setUser(user);
    }
    if (type == RedisClientType.SENTINEL) {
      options.setMasterName(settings.string(Settings.REDIS_MASTER_NAME)).setRole(RedisRole.MASTER);
    } else if (type == RedisClientType.CLUSTER) {
      // Fanout's scripts write: every call goes to the slot's master.
      options.setUseReplicas(RedisReplicas.NEVER);
    }
    return options;
  }

  public static RedisClientType type(Settings settings) {
    String type = settings.string(Settings.REDIS_TYPE).toLowerCase(Locale.ROOT);
    return switch (type) {
      case "standalone" -> RedisClientType.STANDALONE;
      case "sentinel" -> RedisClientType.SENTINEL;
      case "cluster" -> RedisClientType.CLUSTER;
      default -> throw new SettingsRefusedException("REDIS_TYPE must be standalone, sentinel or cluster, got '"
          + type + "'");
    };
  }

  /**
   * REDIS_URL's endpoints. An entry without a scheme ({@code host:port}, as managed services
   * print them) takes the scheme of the first entry, or {@code redis://}.
   */
  static List<String> endpoints(Settings settings) {
    String url = settings.optionalString(Settings.REDIS_URL);
    if (url == null) {
      throw new SettingsRefusedException("REDIS_URL is not set and no embedded Redis was started");
    }
    List<String> endpoints = new ArrayList<>();
    String scheme = null;
    for (String entry : url.split(",")) {
      String endpoint = entry.trim();
      if (endpoint.isEmpty()) {
        continue;
      }
      if (!endpoint.contains("://")) {
        endpoint = (scheme == null ? PLAIN : scheme) + endpoint;
      } else if (!endpoint.startsWith(PLAIN) && !endpoint.startsWith(TLS) && !endpoint.startsWith("unix://")) {
        throw new SettingsRefusedException("REDIS_URL entry " + redact(endpoint)
            + " must start with redis:// or rediss:// (TLS)");
      }
      if (scheme == null) {
        scheme = endpoint.substring(0, endpoint.indexOf("://") + 3);
      }
      endpoints.add(endpoint);
    }
    if (endpoints.isEmpty()) {
      throw new SettingsRefusedException("REDIS_URL names no endpoint");
    }
    return endpoints;
  }

  /** TLS when REDIS_URL says rediss://, checked against REDIS_TLS_TRUST_PEM (else the JVM's CAs). */
  private static NetClientOptions netClientOptions(Settings settings, boolean tls) {
    NetClientOptions options = new NetClientOptions()
        .setTcpKeepAlive(true)
        .setTcpNoDelay(true)
        // A host that drops packets fails a connection in bounded time, as a refused one does.
        .setConnectTimeout(settings.integer(Settings.REDIS_CONNECT_TIMEOUT_MS));
    if (!tls) {
      return options;
    }
    options.setSsl(true)
        .setHostnameVerificationAlgorithm(settings.bool(Settings.REDIS_TLS_VERIFY_HOSTNAME) ? "HTTPS" : "");
    String trust = settings.optionalString(Settings.REDIS_TLS_TRUST_PEM);
    if (trust != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(trust));
    }
    String cert = settings.optionalString(Settings.REDIS_TLS_CERT_PEM);
    String key = settings.optionalString(Settings.REDIS_TLS_KEY_PEM);
    if ((cert == null) != (key == null)) {
      throw new SettingsRefusedException("REDIS_TLS_CERT_PEM and REDIS_TLS_KEY_PEM go together: set both or neither");
    }
    if (cert != null) {
      options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert).setKeyPath(key));
    }
    return options;
  }

  /** REDIS_URL as it may be shown: the password of every endpoint replaced by {@code ***}. */
  public static String redact(String urls) {
    if (urls == null) {
      return null;
    }
    String hidden = URL_PASSWORD.matcher(urls).replaceAll("$1***@");
    return QUERY_PASSWORD.matcher(hidden).replaceAll("$1***");
  }

  /**
   * Text about Redis that may be shown: REDIS_URL redacted, and REDIS_PASSWORD or a password of
   * REDIS_URL taken out wherever it appears (a server's error can quote what it was sent).
   */
  public static String scrub(String text, Settings settings) {
    if (text == null) {
      return null;
    }
    String scrubbed = redact(text);
    String password = settings.optionalString(Settings.REDIS_PASSWORD);
    if (password != null) {
      scrubbed = scrubbed.replace(password, "***");
    }
    String url = settings.optionalString(Settings.REDIS_URL);
    if (url != null) {
      var inUrl = URL_PASSWORD.matcher(url);
      while (inUrl.find()) {
        String secret = url.substring(inUrl.end(1), inUrl.end() - 1);
        if (!secret.isEmpty()) {
          scrubbed = scrubbed.replace(secret, "***");
        }
      }
    }
    return scrubbed;
  }

  /** What this process talks to, for logs: type, redacted endpoints and, with Sentinel, the master's name. */
  public static String describe(Settings settings) {
    RedisClientType type = type(settings);
    String where = type.name().toLowerCase(Locale.ROOT) + " " + redact(String.join(",", endpoints(settings)));
    return type == RedisClientType.SENTINEL ? where + " (master " + settings.string(Settings.REDIS_MASTER_NAME) + ")"
        : where;
  }
}
