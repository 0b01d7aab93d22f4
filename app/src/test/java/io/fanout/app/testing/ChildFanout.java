package io.fanout.app.testing;

import io.fanout.app.Fanout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Fanout process of its own, started from the test classpath: for what one JVM cannot show
 * (a heap cap, a kill -9). Its output goes to a log file under target/.
 */
public final class ChildFanout implements AutoCloseable {
  private final Process process;
  private final Path log;

  private ChildFanout(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code java <jvmOptions> io.fanout.app.Fanout <args>} with {@code settings} as its environment. */
  public static ChildFanout start(String name, List<String> jvmOptions, List<String> args, Map<String, String> settings) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Fanout.class.getName()));
    command.addAll(args);
    Path log = Path.of("target", name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(settings);
    try {
      return new ChildFanout(builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Process process() {
    return process;
  }

  /** The file its output goes to. */
  public Path log() {
    return log;
  }

  /** Waits until the process has logged a line containing {@code text}; fails if it dies first. */
  public void awaitLog(String text, Duration timeout) {
    Await.until(() -> io.vertx.core.Future.succeededFuture(logText()), logged -> {
      if (!process.isAlive()) {
        throw new AssertionError("the process died; see " + log);
      }
      return logged.contains(text);
    }, timeout);
  }

  /** The id of the worker verticle this process runs, from the line it logs when it joins the group. */
  public String workerId() {
    Matcher joined = Pattern.compile("Worker (worker-[0-9a-f-]+) joined group").matcher(logText());
    if (!joined.find()) {
      throw new AssertionError("no worker of this process joined the group; see " + log);
    }
    return joined.group(1);
  }

  /** Ends the process as a crash would: SIGKILL, no shutdown hook, no clean-up. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }

  private String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
