package io.fanout.app.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml as data, YAML anchors and merge keys resolved. Its Fanout services are
 * those built from the project (they have a {@code build}).
 */
final class ComposeFile {
  /** Tests run in app/; the file is at the project's root. */
  static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();
  static final Path FILE = PROJECT.resolve("docker-compose.yml");

  private final Map<String, Object> document;

  private ComposeFile(Map<String, Object> document) {
    this.document = document;
  }

  static ComposeFile load() {
    try {
      return new ComposeFile(new Yaml().load(Files.readString(FILE)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Map<String, Object> services() {
    return map(document.get("services"));
  }

  Map<String, Object> service(String name) {
    Map<String, Object> service = map(services().get(name));
    if (service.isEmpty()) {
      throw new AssertionError("docker-compose.yml has no service " + name);
    }
    return service;
  }

  /** The services built from this project, in the order the file lists them. */
  List<String> fanoutServices() {
    List<String> names = new ArrayList<>();
    services().forEach((name, service) -> {
      if (map(service).containsKey("build")) {
        names.add(name);
      }
    });
    return names;
  }

  List<String> command(String service) {
    return strings(service(service).get("command"));
  }

  /** The service's environment, whether written as a map or as KEY=value lines; values as text. */
  Map<String, String> environment(String service) {
    Object environment = service(service).get("environment");
    Map<String, String> variables = new LinkedHashMap<>();
    if (environment instanceof Map<?, ?> entries) {
      entries.forEach((key, value) -> variables.put(key.toString(), value == null ? "" : value.toString()));
    } else {
      for (String line : strings(environment)) {
        int equals = line.indexOf('=');
        variables.put(equals < 0 ? line : line.substring(0, equals), equals < 0 ? "" : line.substring(equals + 1));
      }
    }
    return variables;
  }

  int replicas(String service) {
    Object replicas = map(service(service).get("deploy")).get("replicas");
    return replicas == null ? 1 : ((Number) replicas).intValue();
  }

  /** The services this one waits for, by name. */
  List<String> dependsOn(String service) {
    Object dependsOn = service(service).get("depends_on");
    return dependsOn instanceof Map<?, ?> entries
        ? entries.keySet().stream().map(Object::toString).toList()
        : strings(dependsOn);
  }

  /** The health check's command: its {@code test} without the CMD / CMD-SHELL marker. */
  List<String> healthcheck(String service) {
    List<String> test = strings(map(service(service).get("healthcheck")).get("test"));
    return test.isEmpty() ? test : test.subList(1, test.size());
  }

  boolean healthcheckIsShell(String service) {
    List<String> test = strings(map(service(service).get("healthcheck")).get("test"));
    return !test.isEmpty() && test.get(0).equals("CMD-SHELL");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> ? (Map<String, Object>) value : Map.of();
  }

  static List<String> strings(Object value) {
    if (value instanceof List<?> list) {
      return list.stream().map(String::valueOf).toList();
    }
    return value == null ? List.of() : List.of(value.toString());
  }
}
