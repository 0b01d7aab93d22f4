package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SaslConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka client settings an operator gives once for every producer, consumer and admin client of
 * Fanout: a properties file named by {@code KAFKA_CLIENT_PROPERTIES}, then
 * {@code KAFKA_CLIENT_<NAME>} variables (or system properties), which win over the file. This is
 * how a managed Kafka's {@code security.protocol}, {@code sasl.*} and {@code ssl.*} settings get in.
 *
 * <p>A variable's name maps to a Kafka name by dropping the prefix, lower-casing it and turning
 * {@code _} into {@code .}: {@code KAFKA_CLIENT_SASL_JAAS_CONFIG} is {@code sasl.jaas.config}. Names
 * the clients know are matched exactly (so a name with a dash would map too); an unknown name is
 * passed on as mapped, for a client plugin, with a warning since it is more often a typo.
 *
 * <p>The settings Fanout's guarantees rest on (acks, idempotence, transactions, isolation, the
 * group and the assignor, serializers, client ids) are Fanout's: giving one is refused at start.
 */
public final class KafkaClientSettings {
  /** Prefix of the variables; {@code KAFKA_CLIENT_PROPERTIES} itself is the file's setting. */
  public static final String PREFIX = "KAFKA_CLIENT_";
  private static final Logger LOG = LoggerFactory.getLogger(KafkaClientSettings.class);
  private static final String HIDDEN = "[hidden]";

  /** Set by Fanout for every client, each for a reason given where it is set in {@link KafkaClients}. */
  private static final Set<String> FANOUT_OWNS = Set.of(
      AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, AdminClientConfig.CLIENT_ID_CONFIG,
      ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, ProducerConfig.TRANSACTIONAL_ID_CONFIG,
      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
      ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.ISOLATION_LEVEL_CONFIG,
      ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
      ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);

  private static final Map<String, ConfigDef.Type> KNOWN = knownSettings();
  private static final Map<String, String> BY_VARIABLE_NAME = byVariableName();

  private KafkaClientSettings() {}

  /**
   * The operator's settings by Kafka name, from the merged configuration (file, environment,
   * system properties, overrides): the properties file first, then the variables over it. Fails
   * naming the setting when the file cannot be read or a setting is one Fanout keeps for itself.
   */
  public static Future<JsonObject> resolve(Vertx vertx, JsonObject merged) {
    Object file = merged.getValue(Settings.KAFKA_CLIENT_PROPERTIES);
    String path = file == null || file.toString().isBlank() ? null : file.toString().trim();
    Future<Map<String, String>> fromFile = path == null
        ? Future.succeededFuture(Map.of())
        : vertx.fileSystem().readFile(path)
            .recover(failure -> Future.failedFuture(new IllegalArgumentException(Settings.KAFKA_CLIENT_PROPERTIES
                + " names " + path + ", which cannot be read: " + failure.getMessage(), failure)))
            .map(content -> parse(path, content.toString()));
    return fromFile.map(fileSettings -> {
      Map<String, String> resolved = new TreeMap<>(fileSettings);
      merged.forEach(entry -> {
        if (entry.getKey().startsWith(PREFIX) && !entry.getKey().equals(Settings.KAFKA_CLIENT_PROPERTIES)
            && entry.getValue() != null) {
          resolved.put(kafkaName(entry.getKey()), entry.getValue().toString());
        }
      });
      resolved.keySet().forEach(name -> refuseIfFanoutOwns(name, path));
      JsonObject json = new JsonObject();
      resolved.forEach(json::put);
      return json;
    });
  }

  /** The Kafka name a {@code KAFKA_CLIENT_<NAME>} variable stands for. */
  public static String kafkaName(String variable) {
    String name = variable.substring(PREFIX.length());
    String known = BY_VARIABLE_NAME.get(name.toUpperCase(Locale.ROOT));
    if (known != null) {
      return known;
    }
    String mapped = name.toLowerCase(Locale.ROOT).replace('_', '.');
    LOG.warn("{} is no setting of Kafka's clients; it is passed to them as {} (a plugin's setting?)", variable, mapped);
    return mapped;
  }

  /** The variable an operator would set for a Kafka name: {@code sasl.jaas.config} is {@code KAFKA_CLIENT_SASL_JAAS_CONFIG}. */
  public static String variableName(String kafkaName) {
    return PREFIX + kafkaName.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /**
   * Of the operator's settings, those a client of this kind knows (its {@code configNames()}),
   * plus those no Kafka client knows (a plugin's): a producer's {@code linger.ms} given to an
   * admin client would only earn a warning that it is unused.
   */
  public static Map<String, String> forClient(Map<String, String> operatorSettings, Set<String> clientNames) {
    Map<String, String> kept = new HashMap<>();
    operatorSettings.forEach((name, value) -> {
      if (clientNames.contains(name) || !KNOWN.containsKey(name)) {
        kept.put(name, value);
      }
    });
    return kept;
  }

  /**
   * Whether a value must never be shown: every setting Kafka types as a password (among them
   * {@code sasl.jaas.config}, {@code ssl.keystore.password}, {@code ssl.keystore.key}), and, for
   * names it does not know, any whose name says password, secret, key or jaas.
   */
  public static boolean isSecret(String kafkaName) {
    ConfigDef.Type type = KNOWN.get(kafkaName);
    if (type != null) {
      return type == ConfigDef.Type.PASSWORD;
    }
    String name = kafkaName.toLowerCase(Locale.ROOT);
    return name.contains("password") || name.contains("secret") || name.contains("jaas") || name.endsWith(".key")
        || name.contains("credential") || name.contains("token");
  }

  /** A copy fit for a log line or an answer: every secret value replaced by {@code [hidden]}. */
  public static Map<String, String> redacted(Map<String, ?> settings) {
    Map<String, String> shown = new TreeMap<>();
    settings.forEach((name, value) -> shown.put(name, isSecret(name) ? HIDDEN : String.valueOf(value)));
    return shown;
  }

  /**
   * {@code text} with every secret value of {@code settings} in it replaced by {@code [hidden]}: for
   * error messages that quote what a client was given. Each JAAS option's value counts as a
   * secret of its own, since a message may quote just the password out of the whole line.
   */
  public static String scrub(String text, Map<String, String> settings) {
    if (text == null) {
      return null;
    }
    String scrubbed = text;
    for (Map.Entry<String, String> setting : settings.entrySet()) {
      if (!isSecret(setting.getKey()) || setting.getValue().isBlank()) {
        continue;
      }
      scrubbed = scrubbed.replace(setting.getValue(), HIDDEN);
      for (String option : jaasOptionValues(setting.getValue())) {
        scrubbed = scrubbed.replace(option, HIDDEN);
      }
    }
    return scrubbed;
  }

  /** The credential settings, named as an operator sets them, for a message about refused credentials. */
  public static String credentialSettingNames() {
    return String.join(", ", variableName(SaslConfigs.SASL_JAAS_CONFIG), variableName(SaslConfigs.SASL_MECHANISM),
        variableName(AdminClientConfig.SECURITY_PROTOCOL_CONFIG));
  }

  private static Map<String, String> parse(String path, String content) {
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(content));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(Settings.KAFKA_CLIENT_PROPERTIES + " names " + path
          + ", which is no properties file: " + e.getMessage(), e);
    }
    Map<String, String> settings = new TreeMap<>();
    properties.stringPropertyNames().forEach(name -> settings.put(name.trim(), properties.getProperty(name).trim()));
    return settings;
  }

  private static void refuseIfFanoutOwns(String name, String file) {
    if (FANOUT_OWNS.contains(name)) {
      String where = variableName(name) + (file == null ? "" : " (or " + name + " in " + file + ")");
      String instead = name.equals(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
          ? "; give the brokers in " + Settings.KAFKA_BOOTSTRAP_SERVERS
          : "; Fanout sets it for every client because its counting and logging guarantees rest on it";
      throw new IllegalArgumentException(where + " cannot be set: " + name + " is Fanout's" + instead);
    }
  }

  /** The quoted or bare values of a JAAS line's options, {@code username="a" password="b";} giving a and b. */
  private static Set<String> jaasOptionValues(String jaas) {
    Set<String> values = new TreeSet<>();
    java.util.regex.Matcher option = java.util.regex.Pattern.compile("=\\s*(\"([^\"]*)\"|([^\\s;]+))").matcher(jaas);
    while (option.find()) {
      String value = option.group(2) != null ? option.group(2) : option.group(3);
      // Short values (a "true" flag) would blank out ordinary words of a message.
      if (value.length() >= 4) {
        values.add(value);
      }
    }
    return values;
  }

  private static Map<String, ConfigDef.Type> knownSettings() {
    Map<String, ConfigDef.Type> known = new HashMap<>();
    for (ConfigDef def : new ConfigDef[] {AdminClientConfig.configDef(), ProducerConfig.configDef(),
        ConsumerConfig.configDef()}) {
      def.configKeys().forEach((name, key) -> known.put(name, key.type));
    }
    return known;
  }

  private static Map<String, String> byVariableName() {
    Map<String, String> names = new HashMap<>();
    KNOWN.keySet().forEach(name -> names.put(variableName(name).substring(PREFIX.length()), name));
    return names;
  }
}
