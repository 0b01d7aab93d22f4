package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Redis scripts change a job's status atomically, each guarded by the statuses it may leave;
 * {@link JobState}'s table is the rule. This test reads every script as shipped and holds the two
 * together: a script that can make a change the table forbids, or that names a status the table
 * does not know, fails it, and so does a change the table allows that no script makes (the table
 * then says more than Fanout does, or this reading of the scripts went blind).
 */
class ScriptTransitionsTest {
  private static final Set<String> STATES =
      Arrays.stream(JobState.values()).map(JobState::wireName).collect(Collectors.toCollection(TreeSet::new));

  /** Per script: the changes it can make, as "from -> to" at a line. */
  private static final Map<String, LuaStatusChanges> SCRIPTS = new TreeMap<>();

  @BeforeAll
  static void readScripts() throws IOException, URISyntaxException {
    Path folder = Path.of(RedisScript.class.getResource("lua").toURI());
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".lua")).toList()) {
        SCRIPTS.put(file.getFileName().toString(),
            LuaStatusChanges.of(Files.readString(file, StandardCharsets.UTF_8), STATES));
      }
    }
    assertThat(SCRIPTS).as("the scripts beside RedisScript").isNotEmpty();
  }

  @Test
  @DisplayName("every status a script compares or writes is one of JobState's")
  void everyStatusNameIsKnown() {
    List<String> unknown = new ArrayList<>();
    SCRIPTS.forEach((script, changes) -> changes.namesUsed().stream()
        .filter(name -> !STATES.contains(name))
        .forEach(name -> unknown.add(script + " names status '" + name + "'")));
    assertThat(unknown).as("statuses JobState does not know").isEmpty();
  }

  @Test
  @DisplayName("every status change a script can make is one JobState's table allows")
  void everyChangeIsAllowed() {
    List<String> forbidden = new ArrayList<>();
    SCRIPTS.forEach((script, changes) -> changes.writes().forEach(write -> {
      for (String from : write.from()) {
        for (String to : write.to()) {
          if (!allowed(from, to)) {
            forbidden.add(script + ":" + write.line() + " may change a job from " + from + " to " + to);
          }
        }
      }
    }));
    assertThat(forbidden).as("changes JobState forbids").isEmpty();
  }

  @Test
  @DisplayName("every change JobState's table allows is made by some script")
  void everyAllowedChangeIsMade() {
    Set<String> made = new TreeSet<>();
    SCRIPTS.values().forEach(changes -> changes.writes().forEach(write ->
        write.from().forEach(from -> write.to().forEach(to -> made.add(from + " -> " + to)))));
    Set<String> allowed = new TreeSet<>();
    for (JobState from : JobState.values()) {
      from.allowedNext().forEach(to -> allowed.add(from.wireName() + " -> " + to.wireName()));
    }
    assertThat(made).as("changes the scripts make").containsAll(allowed);
  }

  private static boolean allowed(String from, String to) {
    return STATES.contains(from) && STATES.contains(to) && JobState.fromWire(from).canMoveTo(JobState.fromWire(to));
  }
}
