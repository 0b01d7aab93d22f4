package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The job hash's field names")
class JobFieldsTest {

  @Test
  @DisplayName("every field a queue script reads or writes on the job hash is one JobFields names")
  void luaScriptsUseKnownFields() throws IOException, URISyntaxException {
    List<Path> scripts = scripts();
    assertThat(scripts).as("the queue's scripts").hasSizeGreaterThan(10);
    int touchingTheHash = 0;
    for (Path script : scripts) {
      String source = Files.readString(script, StandardCharsets.UTF_8);
      if (source.contains("job hash")) {
        touchingTheHash++;
      }
      assertThat(JobFields.unknownIn(source)).as("fields of the job hash unknown to JobFields in %s",
          script.getFileName()).isEmpty();
    }
    assertThat(touchingTheHash).as("scripts whose header names the job hash").isGreaterThanOrEqualTo(8);
  }

  @Test
  @DisplayName("the check catches a misspelt field, in HSET's field position only, and in HMGET over lines")
  void checkCatchesMisspelling() {
    String script = "-- KEYS[2] job hash\n"
        + "redis.call('HSET', KEYS[2], 'status', 'queued', 'finshedAt', ARGV[1])\n"
        + "redis.call('HMGET', KEYS[2], 'done',\n  'progresSeq')\n"
        + "redis.call('HGET', KEYS[1], 'notTheJobHash')\n";
    assertThat(JobFields.unknownIn(script)).containsExactly("finshedAt", "progresSeq");
  }

  @Test
  @DisplayName("what Job.toHash writes is all in JobFields")
  void jobHashIsKnown() {
    Job job = Job.accepted("0b9d5f2e-3c4a-4d8e-9f10-1a2b3c4d5e6f",
        new Job.Spec("count", new JsonObject(), 3, false, 1, 0, 1, 50, "results-of-count"), Instant.now(), "alice", 3);
    assertThat(JobFields.ALL).containsAll(job.toHash().keySet());
  }

  private static List<Path> scripts() throws IOException, URISyntaxException {
    URL lua = JobFieldsTest.class.getResource("/io/fanout/core/lua/create.lua");
    assertThat(lua).as("the scripts on the class path").isNotNull();
    try (Stream<Path> files = Files.list(Path.of(lua.toURI()).getParent())) {
      return files.filter(file -> file.toString().endsWith(".lua")).sorted().toList();
    }
  }
}
