package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.fanout.app.Fanout;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs here, so docker-compose.yml and the Dockerfile are held to what can be
 * checked without one: they parse, every variable and flag they give Fanout is one it accepts,
 * and the services wire, wait and scale as intended. ClusterComposeTopologyTest runs the services.
 */
@DisplayName("docker-compose.yml and the Dockerfile only say what Fanout understands")
class ClusterComposeFileTest {
  private static final ComposeFile COMPOSE = ComposeFile.load();

  @Test
  @DisplayName("Kafka runs in KRaft mode at the clients' version, Redis keeps an append-only file, and the roles are all there")
  void backendsAndRoles() {
    assertThat(COMPOSE.services()).containsKeys("kafka", "redis", "api", "progress", "worker");

    Map<String, Object> kafka = COMPOSE.service("kafka");
    assertThat(kafka.get("image")).isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
    Map<String, String> kafkaEnvironment = COMPOSE.environment("kafka");
    assertThat(kafkaEnvironment.get("KAFKA_PROCESS_ROLES")).contains("broker").contains("controller");
    assertThat(kafkaEnvironment).containsKey("KAFKA_CONTROLLER_QUORUM_VOTERS");
    assertThat(kafkaEnvironment.keySet()).noneMatch(key -> key.contains("ZOOKEEPER"));
    assertThat(kafkaEnvironment.get("KAFKA_ADVERTISED_LISTENERS"))
        .isEqualTo("PLAINTEXT://" + COMPOSE.environment("api").get(Settings.KAFKA_BOOTSTRAP_SERVERS));

    List<String> redis = COMPOSE.command("redis");
    assertThat(redis.get(redis.indexOf("--appendonly") + 1)).isEqualTo("yes");
    assertThat(ComposeFile.strings(COMPOSE.service("redis").get("volumes"))).anyMatch(v -> v.endsWith(":/data"));

    Set<Object> roles = new HashSet<>();
    for (String service : COMPOSE.fanoutServices()) {
      roles.addAll(Arrays.asList(parse(service).getString(Settings.ROLES).split(",")));
    }
    assertThat(roles).containsExactlyInAnyOrder("api", "worker", "progress");
  }

  @Test
  @DisplayName("every variable set for Fanout is a setting of conf/config.json, of its type, and every command is one the launcher accepts")
  void variablesAndFlagsAreKnown() throws IOException {
    JsonObject declared = new JsonObject(Files.readString(ComposeFile.PROJECT.resolve("conf/config.json")));
    assertThat(COMPOSE.fanoutServices()).containsExactlyInAnyOrder("api", "progress", "worker");
    for (String service : COMPOSE.fanoutServices()) {
      COMPOSE.environment(service).forEach((name, value) -> {
        assertThat(declared.containsKey(name)).as("%s sets %s, a setting of conf/config.json", service, name).isTrue();
        assertSameType(service, name, value, declared.getValue(name));
      });
      JsonObject flags = parse(service);
      assertThat(flags.getBoolean(Settings.CLUSTER)).as("%s joins the cluster", service).isTrue();
    }
    for (String name : dockerfileEnvironment()) {
      assertThat(declared.containsKey(name)).as("the Dockerfile sets %s, a setting of conf/config.json", name).isTrue();
    }
    String dockerfile = Files.readString(ComposeFile.PROJECT.resolve("Dockerfile"));
    assertThat(dockerfile).contains("FROM eclipse-temurin:17-jre")
        .contains("COPY app/target/fanout.jar /app/fanout.jar")
        .contains("\"-jar\", \"/app/fanout.jar\"");
  }

  @Test
  @DisplayName("every service is health-checked, Fanout waits for healthy dependencies, and workers scale")
  void healthDependenciesAndScale() throws IOException {
    JsonObject declared = new JsonObject(Files.readString(ComposeFile.PROJECT.resolve("conf/config.json")));
    for (String service : COMPOSE.services().keySet()) {
      assertThat(COMPOSE.healthcheck(service)).as("%s's health check", service).isNotEmpty();
      ComposeFile.map(COMPOSE.service(service).get("depends_on")).forEach((dependency, condition) -> {
        assertThat(COMPOSE.services()).as("%s depends on a service of the file", service).containsKey(dependency);
        assertThat(ComposeFile.map(condition).get("condition")).isEqualTo("service_healthy");
      });
    }
    for (String service : COMPOSE.fanoutServices()) {
      assertThat(COMPOSE.dependsOn(service)).as("%s starts after the backends or after the api", service)
          .containsAnyOf("kafka", "api");
      assertThat(COMPOSE.environment(service).get(Settings.CLUSTER_MEMBERS).split(","))
          .allSatisfy(member -> assertThat(COMPOSE.services()).containsKey(member.trim()));
    }
    Map<String, Object> worker = COMPOSE.service("worker");
    assertThat(COMPOSE.replicas("worker")).isGreaterThanOrEqualTo(2);
    assertThat(worker).as("a scaled service has no fixed name or host port")
        .doesNotContainKeys("ports", "container_name", "hostname");
    assertThat(COMPOSE.environment("worker")).containsKey(Settings.NODE_HEARTBEAT_FILE);
    int http = declared.getInteger(Settings.HTTP_PORT);
    int progress = declared.getInteger(Settings.PROGRESS_PORT);
    assertThat(ComposeFile.strings(COMPOSE.service("api").get("ports"))).containsExactly(http + ":" + http);
    assertThat(ComposeFile.strings(COMPOSE.service("progress").get("ports"))).containsExactly(progress + ":" + progress);
  }

  private static JsonObject parse(String service) {
    List<String> command = COMPOSE.command(service);
    assertThatCode(() -> Fanout.parse(command.toArray(String[]::new)))
        .as("%s's command %s", service, command).doesNotThrowAnyException();
    JsonObject flags = Fanout.parse(command.toArray(String[]::new));
    assertThat(flags).as("%s's command is not a request for help", service).isNotNull();
    return flags;
  }

  /** An environment variable arrives as text; it must read as the type of the setting's default. */
  private static void assertSameType(String service, String name, String value, Object byDefault) {
    if (byDefault instanceof Number) {
      assertThatCode(() -> Long.parseLong(value)).as("%s: %s=%s is a number", service, name, value)
          .doesNotThrowAnyException();
    } else if (byDefault instanceof Boolean) {
      assertThat(value).as("%s: %s is true or false", service, name).isIn("true", "false");
    }
  }

  /** The names the Dockerfile's ENV instructions set, continuation lines joined. */
  private static List<String> dockerfileEnvironment() throws IOException {
    String text = Files.readString(ComposeFile.PROJECT.resolve("Dockerfile")).replace("\\\n", " ");
    List<String> names = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("ENV ")) {
        for (String pair : line.substring(4).trim().split("\\s+")) {
          names.add(pair.substring(0, pair.indexOf('=')));
        }
      }
    }
    assertThat(names).isNotEmpty();
    return names;
  }
}
