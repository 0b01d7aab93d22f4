package io.fanout.tools;

import java.util.HashMap;
import java.util.Map;

/** The tools' command lines: {@code --name N} pairs, each over its default. */
final class NumberOptions {
  private NumberOptions() {}

  /** @throws IllegalArgumentException naming {@code usage} for an unknown option or one without a value */
  static Map<String, Integer> parse(String[] args, Map<String, Integer> defaults, String usage) {
    Map<String, Integer> values = new HashMap<>(defaults);
    for (int i = 0; i < args.length; i += 2) {
      if (!values.containsKey(args[i]) || i + 1 >= args.length) {
        throw new IllegalArgumentException("usage: " + usage + "; got '" + args[i] + "'");
      }
      values.put(args[i], Integer.parseInt(args[i + 1]));
    }
    return values;
  }
}
