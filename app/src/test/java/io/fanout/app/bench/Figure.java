package io.fanout.app.bench;

/**
 * One measured figure of the benchmark: printed as a line, and as a row of the Markdown table
 * beside the target for it.
 *
 * @param key a stable name, for grepping and diffing runs
 * @param value the figure as shown, with its unit
 * @param detail how it was measured: runs, spread, settings that matter
 * @param target the target, or "—" when the figure is a reference
 * @param met true or false against the target; null when there is none or it could not be shown
 */
record Figure(String key, String label, String value, String detail, String target, Boolean met) {

  static Figure reference(String key, String label, String value, String detail) {
    return new Figure(key, label, value, detail, "—", null);
  }

  String line() {
    return String.format("%-28s %s  (%s)", key, value, detail);
  }

  String row() {
    String verdict = met == null ? "—" : met ? "yes" : "**no**";
    return "| " + label + " | " + value + " | " + target + " | " + verdict + " |";
  }

  static String tableHeader() {
    return "| figure | value | target | met? |\n|---|---|---|---|";
  }
}
