package io.fanout.progress;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.core.JobFields;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The snapshot claim script")
class ClaimSnapshotScriptTest {

  @Test
  @DisplayName("reads and writes only job hash fields that JobFields names")
  void usesKnownFields() throws IOException {
    String script;
    try (InputStream in = ProgressStore.class.getResourceAsStream("claim-snapshot.lua")) {
      assertThat(in).as("claim-snapshot.lua beside ProgressStore").isNotNull();
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(script).contains("KEYS[1] job hash").contains(JobFields.PROGRESS_SEQ);
    assertThat(JobFields.unknownIn(script)).isEmpty();
  }
}
