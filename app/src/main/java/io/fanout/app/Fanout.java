package io.fanout.app;

import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line: {@code java -jar fanout.jar [--roles api,worker,progress] [--cluster]}.
 * Everything else comes from settings (conf/config.json, environment, system properties).
 */
public final class Fanout {
  private static final Logger LOG = LoggerFactory.getLogger(Fanout.class);

  private static final String USAGE = """
      usage: java -jar fanout.jar [--roles api,worker,progress] [--cluster]
        --roles    the roles this process runs (default: api,worker,progress); the role
                   backends runs only the embedded Kafka and Redis, for other processes
        --cluster  join the Hazelcast cluster (conf/cluster.xml, CLUSTER_* settings)
      Settings are read from conf/config.json, then environment variables, then -D properties.""";

  private Fanout() {}

  public static void main(String[] args) {
    JsonObject overrides;
    try {
      overrides = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    if (overrides == null) {
      System.out.println(USAGE);
      return;
    }
    FanoutApp app;
    try {
      app = FanoutApp.start(overrides);
    } catch (StartRefusedException e) {
      LOG.error("Fanout could not start: {}", e.getMessage());
      System.exit(1);
      return;
    } catch (RuntimeException e) {
      LOG.error("Fanout could not start", e);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "fanout-shutdown"));
  }

  /**
   * The settings the arguments override, or null when help was asked for; an argument the
   * launcher does not know fails with {@link IllegalArgumentException}.
   */
  public static JsonObject parse(String[] args) {
    JsonObject overrides = new JsonObject();
    Iterator<String> it = Arrays.asList(args).iterator();
    while (it.hasNext()) {
      String arg = it.next();
      switch (arg) {
        case "--help", "-h" -> {
          return null;
        }
        case "--cluster" -> overrides.put(Settings.CLUSTER, true);
        case "--roles" -> {
          if (!it.hasNext()) {
            throw new IllegalArgumentException("--roles needs a value, such as api,worker,progress");
          }
          overrides.put(Settings.ROLES, roles(it.next()));
        }
        default -> {
          if (arg.startsWith("--roles=")) {
            overrides.put(Settings.ROLES, roles(arg.substring("--roles=".length())));
          } else {
            throw new IllegalArgumentException("unknown argument '" + arg + "'");
          }
        }
      }
    }
    return overrides;
  }

  /** A role list as given, once each of its names is known to be a role. */
  private static String roles(String list) {
    Arrays.stream(list.split(",")).filter(name -> !name.isBlank()).forEach(Role::parse);
    return list;
  }
}
