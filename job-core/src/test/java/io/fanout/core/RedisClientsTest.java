package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The Redis client's options, from the settings")
class RedisClientsTest {

  /** The declared defaults, with {@code overrides} on top, as FanoutConfig would merge them. */
  private static Settings settings(JsonObject overrides) throws IOException {
    JsonObject declared = new JsonObject(Files.readString(Path.of("../conf/config.json")));
    return new Settings(declared.mergeIn(overrides));
  }

  @Test
  @DisplayName("a password in REDIS_URL, in the URL's userinfo or its query, is shown as ***; the rest stays")
  void passwordsAreRedacted() {
    assertThat(RedisClients.redact("rediss://fanout:s3cr3t@redis.example:6380/2,redis://:other@10.0.0.2:6379"))
        .isEqualTo("rediss://fanout:***@redis.example:6380/2,redis://:***@10.0.0.2:6379");
    assertThat(RedisClients.redact("redis://host:6379?user=a&password=s3cr3t&client=x"))
        .isEqualTo("redis://host:6379?user=a&password=***&client=x");
    assertThat(RedisClients.redact("redis://host:6379")).isEqualTo("redis://host:6379");
  }

  @Test
  @DisplayName("any text is scrubbed of REDIS_PASSWORD and of REDIS_URL's password wherever it appears")
  void textIsScrubbedOfSecrets() throws IOException {
    Settings settings = settings(new JsonObject().put(Settings.REDIS_URL, "redis://u:inurl@h:1")
        .put(Settings.REDIS_PASSWORD, "insetting"));
    assertThat(RedisClients.scrub("sent inurl and insetting to redis://u:inurl@h:1", settings))
        .isEqualTo("sent *** and *** to redis://u:***@h:1");
  }

  @Test
  @DisplayName("Sentinel takes several endpoints (a bare host:port takes the first one's scheme), the master's name and role MASTER")
  void sentinelOptions() throws IOException {
    RedisOptions options = RedisClients.options(settings(new JsonObject()
        .put(Settings.REDIS_TYPE, "sentinel")
        .put(Settings.REDIS_URL, "redis://127.0.0.1:26379, 127.0.0.1:26380")
        .put(Settings.REDIS_MASTER_NAME, "jobs")
        .put(Settings.REDIS_USER, "fanout").put(Settings.REDIS_PASSWORD, "pw")));
    assertThat(options.getType()).isEqualTo(RedisClientType.SENTINEL);
    assertThat(options.getEndpoints()).containsExactly("redis://127.0.0.1:26379", "redis://127.0.0.1:26380");
    assertThat(options.getMasterName()).isEqualTo("jobs");
    assertThat(options.getRole()).isEqualTo(RedisRole.MASTER);
    assertThat(options.getUser()).isEqualTo("fanout");
    assertThat(options.getPassword()).isEqualTo("pw");
  }

  @Test
  @DisplayName("rediss:// turns TLS on with hostname verification, unless REDIS_TLS_VERIFY_HOSTNAME is false")
  void tlsOptions() throws IOException {
    RedisOptions verified = RedisClients.options(settings(new JsonObject().put(Settings.REDIS_URL, "rediss://h:6380")));
    assertThat(verified.getNetClientOptions().isSsl()).isTrue();
    assertThat(verified.getNetClientOptions().getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
    RedisOptions unverified = RedisClients.options(settings(new JsonObject().put(Settings.REDIS_URL, "rediss://h:6380")
        .put(Settings.REDIS_TLS_VERIFY_HOSTNAME, "false")));
    assertThat(unverified.getNetClientOptions().getHostnameVerificationAlgorithm()).isEmpty();
    assertThat(RedisClients.options(settings(new JsonObject().put(Settings.REDIS_URL, "redis://h:6379")))
        .getNetClientOptions().isSsl()).isFalse();
  }

  @Test
  @DisplayName("settings that cannot work are refused, each naming itself and showing no password")
  void impossibleSettingsAreRefused() {
    assertThatThrownBy(() -> RedisClients.options(settings(new JsonObject()
        .put(Settings.REDIS_URL, "redis://:pw1@a:1,redis://b:2"))))
        .isInstanceOf(SettingsRefusedException.class).hasMessageContaining("REDIS_TYPE=standalone");
    assertThatThrownBy(() -> RedisClients.options(settings(new JsonObject().put(Settings.REDIS_URL, "redis://a:1")
        .put(Settings.REDIS_TYPE, "cluster").put(Settings.REDIS_MIN_REPLICAS_ACK, 1))))
        .isInstanceOf(SettingsRefusedException.class).hasMessageContaining("REDIS_MIN_REPLICAS_ACK");
    assertThatThrownBy(() -> RedisClients.options(settings(new JsonObject().put(Settings.REDIS_URL, "redis://a:1")
        .put(Settings.REDIS_TYPE, "replicated"))))
        .isInstanceOf(SettingsRefusedException.class).hasMessageContaining("REDIS_TYPE");
    assertThatThrownBy(() -> RedisClients.options(settings(new JsonObject()
        .put(Settings.REDIS_URL, "rediss://a:1,redis://b:2").put(Settings.REDIS_TYPE, "cluster"))))
        .isInstanceOf(SettingsRefusedException.class).hasMessageContaining("REDIS_URL");
    assertThatThrownBy(() -> RedisClients.options(settings(new JsonObject()
        .put(Settings.REDIS_URL, "http://u:topsecret@a:1"))))
        .isInstanceOf(SettingsRefusedException.class).hasMessageContaining("REDIS_URL")
        .hasMessageNotContaining("topsecret");
    assertThatThrownBy(() -> RedisClients.options(settings(new JsonObject().put(Settings.REDIS_URL, "redis://a:1")
        .put(Settings.REDIS_MIN_REPLICAS_ACK, 1).put(Settings.REDIS_ACK_TIMEOUT_MS, 0))))
        .isInstanceOf(SettingsRefusedException.class).hasMessageContaining("REDIS_ACK_TIMEOUT_MS");
  }
}
