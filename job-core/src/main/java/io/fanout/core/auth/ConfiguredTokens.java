package io.fanout.core.auth;

import io.fanout.core.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The tokens an operator gives in the settings: {@code AUTH_TOKENS} and the lines of the file
 * {@code AUTH_TOKENS_FILE}, each {@code name:role:sha256hex}. Only hashes are configured, so a
 * leaked config file or environment gives nobody a token.
 */
public final class ConfiguredTokens {
  /** One configured token. */
  public record Entry(String name, AccessRole role, String hash) {}

  private ConfiguredTokens() {}

  /** Every configured token; {@link IllegalArgumentException} naming the setting for a bad entry. */
  public static List<Entry> read(Settings settings) {
    List<Entry> entries = new ArrayList<>();
    for (String item : settings.list(Settings.AUTH_TOKENS)) {
      entries.add(parse(item, Settings.AUTH_TOKENS));
    }
    String file = settings.optionalString(Settings.AUTH_TOKENS_FILE);
    if (file != null) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(file));
      } catch (IOException e) {
        throw new IllegalArgumentException(Settings.AUTH_TOKENS_FILE + " '" + file + "' cannot be read: " + e, e);
      }
      for (String line : lines) {
        if (!line.isBlank() && !line.strip().startsWith("#")) {
          entries.add(parse(line.strip(), Settings.AUTH_TOKENS_FILE));
        }
      }
    }
    Set<String> names = new HashSet<>();
    for (Entry entry : entries) {
      if (!names.add(entry.name())) {
        throw new IllegalArgumentException("the token name '" + entry.name() + "' is configured twice in "
            + Settings.AUTH_TOKENS + " / " + Settings.AUTH_TOKENS_FILE);
      }
    }
    return List.copyOf(entries);
  }

  private static Entry parse(String item, String setting) {
    String[] parts = item.split(":");
    if (parts.length != 3 || parts[0].isBlank()) {
      throw new IllegalArgumentException(setting + " entries are name:role:sha256hex; one has "
          + (parts.length) + " part(s) (its text is not shown, in case it is a token)");
    }
    AccessRole role;
    try {
      role = AccessRole.parse(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(setting + " entry '" + parts[0] + "': " + e.getMessage(), e);
    }
    String hash = parts[2].trim().toLowerCase(java.util.Locale.ROOT);
    if (!TokenHash.isHash(hash)) {
      throw new IllegalArgumentException(setting + " entry '" + parts[0] + "' must end with the token's SHA-256"
          + " as 64 hex digits (e.g. printf %s \"$TOKEN\" | sha256sum), not the token itself");
    }
    return new Entry(parts[0].trim(), role, hash);
  }
}
