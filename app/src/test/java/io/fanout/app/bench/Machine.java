package io.fanout.app.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the figures were measured on, and whether the machine was shared while they were: the
 * cores, memory and CPU, the JVM, the load average, and other Java processes (a build or test
 * run of someone else's competes for the same cores).
 */
final class Machine {
  private Machine() {}

  static String describe() {
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    return String.format("%d cores (%s), %.1f GB memory, %s %s, Java %s (%s), max heap of this JVM %d MB",
        Runtime.getRuntime().availableProcessors(), cpuModel(), os.getTotalMemorySize() / 1e9,
        System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("java.version"),
        System.getProperty("java.vm.name"), Runtime.getRuntime().maxMemory() / (1024 * 1024));
  }

  /** The 1, 5 and 15 minute load averages. */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Java processes of this machine other than this one and the ones it started. */
  static List<String> otherJavaProcesses() {
    ProcessHandle self = ProcessHandle.current();
    Set<Long> ours = self.descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    ours.add(self.pid());
    return ProcessHandle.allProcesses()
        .filter(process -> !ours.contains(process.pid()))
        .filter(process -> process.info().command().map(command -> command.endsWith("/java")).orElse(false))
        .map(process -> process.pid() + " " + abbreviate(process.info().commandLine().orElse("java")))
        .toList();
  }

  /** CPU time this JVM has used, in nanoseconds. */
  static long processCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** CPU time used by the processes this JVM started (the embedded redis-server), in nanoseconds. */
  static long childrenCpuNanos() {
    return ProcessHandle.current().descendants()
        .mapToLong(child -> child.info().totalCpuDuration().map(d -> d.toNanos()).orElse(0L))
        .sum();
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(line -> line.startsWith("model name"))
          .map(line -> line.substring(line.indexOf(':') + 1).trim())
          .findFirst().orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static String abbreviate(String commandLine) {
    // Class paths run to kilobytes; the main class or jar at the end is what identifies the process.
    String shortened = commandLine.replaceAll("-(cp|classpath) \\S+", "-cp …");
    return shortened.length() > 160 ? shortened.substring(0, 157) + "…" : shortened;
  }
}
