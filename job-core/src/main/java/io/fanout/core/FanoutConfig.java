package io.fanout.core;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Loads the configuration in layers: {@code conf/config.json} (every setting and its default),
 * then environment variables, then system properties, then what the caller overrides. Stores
 * are declared explicitly so that the environment wins over the file. Only keys the file
 * declares are kept, so a typo in a variable name cannot pass unnoticed as a new setting; the one
 * open family, Kafka client settings ({@code KAFKA_CLIENT_<NAME>}), is resolved by
 * {@link KafkaClientSettings} into {@link Settings#KAFKA_CLIENT}.
 */
public final class FanoutConfig {
  /** Where the defaults are read from; a relative path also resolves on the classpath. */
  public static final String FILE = System.getProperty("fanout.config",
      System.getenv().getOrDefault("FANOUT_CONFIG", "conf/config.json"));

  private FanoutConfig() {}

  public static Future<Settings> load(Vertx vertx, JsonObject overrides) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setScanPeriod(0)
        .addStore(new ConfigStoreOptions().setType("file").setFormat("json")
            .setConfig(new JsonObject().put("path", FILE)))
        .addStore(new ConfigStoreOptions().setType("env"))
        .addStore(new ConfigStoreOptions().setType("sys"))
        .addStore(new ConfigStoreOptions().setType("json").setConfig(overrides));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    Future<JsonObject> defaults = vertx.fileSystem().readFile(FILE).map(JsonObject::new);
    return retriever.getConfig()
        .eventually(retriever::close)
        .compose(merged -> defaults.map(declared -> keepDeclared(merged, declared))
            .compose(kept -> KafkaClientSettings.resolve(vertx, merged).map(kafkaClient -> kept
                .put(Settings.KAFKA_CLIENT, kafkaClient))))
        .map(Settings::new);
  }

  private static JsonObject keepDeclared(JsonObject merged, JsonObject declared) {
    JsonObject kept = new JsonObject();
    declared.fieldNames().forEach(key -> kept.put(key, merged.getValue(key)));
    return kept;
  }
}
