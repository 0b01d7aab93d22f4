package io.fanout.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The one-command default keeps its jobs across a restart")
class RestartTest {

  @Test
  @DisplayName("with no backends given, Fanout starts its own Kafka and Redis under DATA_DIR, and a second start on the same data still shows the completed job")
  void completedJobSurvivesRestart(@TempDir Path dataDir) {
    JsonObject embedded = new JsonObject().put(Settings.DATA_DIR, dataDir.toString());
    JsonObject before;
    try (FanoutUnderTest first = FanoutUnderTest.start(embedded)) {
      before = first.runToEnd(new JsonObject().put("type", "compute")
          .put("payload", new JsonObject().put("input", "survives")), Duration.ofSeconds(60));
      assertThat(before.getString("status")).isEqualTo("completed");
    }
    assertThat(Files.isDirectory(dataDir.resolve("kafka"))).isTrue();
    assertThat(Files.isDirectory(dataDir.resolve("redis"))).isTrue();

    try (FanoutUnderTest second = FanoutUnderTest.start(embedded)) {
      JsonObject after = second.get("/jobs/" + before.getString("id")).bodyAsJsonObject();
      assertThat(after).isEqualTo(before);
      assertThat(second.get("/health").statusCode()).isEqualTo(200);
    }
  }
}
