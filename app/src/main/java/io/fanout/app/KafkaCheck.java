package io.fanout.app;

import io.fanout.core.SettingsRefusedException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.fanout.core.KafkaClientSettings;
import io.fanout.core.KafkaClients;
import io.fanout.core.Settings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Asks the Kafka cluster to describe itself before any verticle that uses Kafka is deployed, so
 * that a wrong address or wrong credentials stop Fanout at once with one message naming the
 * setting to fix, instead of verticles that start and then log a connection warning a second for
 * ever. Meanwhile the check's own client is kept quiet: its retries are what the message sums up.
 */
final class KafkaCheck {
  private static final String CLIENT_ID = "fanout-kafka-check";
  /** Kafka names its admin client's network thread after the client id. */
  private static final String CLIENT_THREAD = "kafka-admin-client-thread | " + CLIENT_ID;

  private KafkaCheck() {}

  /** Returns when the cluster answered; otherwise throws {@link SettingsRefusedException}. */
  static void run(Settings settings) {
    Duration timeout = Duration.ofMillis(settings.longValue(Settings.KAFKA_CHECK_TIMEOUT_MS));
    String servers = settings.string(Settings.KAFKA_BOOTSTRAP_SERVERS);
    Map<String, String> operatorSettings = settings.kafkaClient();
    String file = settings.optionalString(Settings.KAFKA_CLIENT_PROPERTIES);
    Map<String, String> config = KafkaClients.admin(settings, CLIENT_ID);
    // One attempt per request may take the whole time: the answer is the cluster's, not a retry's.
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
    QuietThread quiet = QuietThread.install(CLIENT_THREAD);
    AdminClient admin = null;
    try {
      admin = AdminClient.create(Map.copyOf(config));
      admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
          .nodes().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SettingsRefusedException("interrupted while checking Kafka at " + servers);
    } catch (TimeoutException e) {
      throw unreachable(servers, timeout);
    } catch (ExecutionException e) {
      throw refusal(e.getCause(), servers, timeout, operatorSettings, file);
    } catch (KafkaException e) {
      throw refusal(e, servers, timeout, operatorSettings, file);
    } finally {
      if (admin != null) {
        admin.close(Duration.ZERO);
      }
      quiet.remove();
    }
  }

  private static SettingsRefusedException refusal(Throwable failure, String servers, Duration timeout,
      Map<String, String> operatorSettings, String file) {
    String reason = KafkaClientSettings.scrub(rootMessage(failure), operatorSettings);
    if (failure instanceof SslAuthenticationException) {
      return new SettingsRefusedException("the TLS handshake with Kafka at " + Settings.KAFKA_BOOTSTRAP_SERVERS + "="
          + servers + " failed (" + reason + "); check " + KafkaClientSettings.variableName("ssl.truststore.location")
          + " and " + KafkaClientSettings.variableName("ssl.truststore.password") + " (the brokers' CA), and "
          + KafkaClientSettings.variableName("security.protocol") + fileHint(file));
    }
    if (failure instanceof AuthenticationException) {
      return new SettingsRefusedException("Kafka at " + Settings.KAFKA_BOOTSTRAP_SERVERS + "=" + servers
          + " refused Fanout's credentials (" + reason + "); check " + KafkaClientSettings.credentialSettingNames()
          + fileHint(file));
    }
    if (failure instanceof AuthorizationException) {
      return new SettingsRefusedException("Kafka at " + Settings.KAFKA_BOOTSTRAP_SERVERS + "=" + servers
          + " accepted Fanout's credentials but does not allow it to describe the cluster (" + reason
          + "); grant Fanout's user the ACLs it needs");
    }
    if (failure instanceof org.apache.kafka.common.errors.TimeoutException) {
      return unreachable(servers, timeout);
    }
    if (failure instanceof ConfigException) {
      return new SettingsRefusedException("Kafka's clients refuse their settings (" + reason + "); check "
          + Settings.KAFKA_BOOTSTRAP_SERVERS + "=" + servers + " and the " + KafkaClientSettings.PREFIX
          + "* settings" + fileHint(file));
    }
    return new SettingsRefusedException("Kafka at " + Settings.KAFKA_BOOTSTRAP_SERVERS + "=" + servers
        + " could not be used (" + reason + "); check it and the " + KafkaClientSettings.PREFIX + "* settings"
        + fileHint(file));
  }

  private static SettingsRefusedException unreachable(String servers, Duration timeout) {
    return new SettingsRefusedException("no Kafka broker answered at " + Settings.KAFKA_BOOTSTRAP_SERVERS + "="
        + servers + " within " + timeout.toMillis() + " ms (" + Settings.KAFKA_CHECK_TIMEOUT_MS
        + "); check the address, that the brokers run and are reachable from here, and that "
        + KafkaClientSettings.variableName("security.protocol") + " matches their listener");
  }

  private static String fileHint(String file) {
    return file == null ? "" : " (or their entries in " + file + ", the file of " + Settings.KAFKA_CLIENT_PROPERTIES + ")";
  }

  /** The innermost message: Kafka wraps the reason in "Failed to create new KafkaAdminClient" and the like. */
  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root == failure ? failure.toString() : failure.getMessage() + ": " + root;
    return message.replace('\n', ' ');
  }

  /**
   * Drops every log event of one thread while installed. The check's client reports each failed
   * connection, and keeps trying until its time is up; the check reports the outcome once.
   * Other clients, and this one's thread once the check is over, log as usual.
   */
  private static final class QuietThread extends TurboFilter {
    private final String threadName;

    private QuietThread(String threadName) {
      this.threadName = threadName;
    }

    static QuietThread install(String threadName) {
      QuietThread filter = new QuietThread(threadName);
      if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
        filter.setContext(context);
        filter.start();
        context.addTurboFilter(filter);
      }
      return filter;
    }

    void remove() {
      if (getContext() instanceof LoggerContext context) {
        context.getTurboFilterList().remove(this);
      }
    }

    @Override
    public FilterReply decide(Marker marker, ch.qos.logback.classic.Logger logger, Level level, String format,
        Object[] params, Throwable t) {
      return Thread.currentThread().getName().equals(threadName) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
  }
}
