package io.fanout.app.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/** Medians, percentiles and the spread of repeated runs, so that every figure says how steady it was. */
final class Samples {
  private Samples() {}

  /** The median of the values that are numbers; NaN marks a run that could not measure the figure. */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values.stream().filter(v -> !v.isNaN()).toList());
    Collections.sort(sorted);
    int n = sorted.size();
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** Nearest-rank percentile of {@code values} (need not be sorted), {@code p} in (0, 100]. */
  static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  /** "a / b / c" in run order, each with {@code format}. */
  static String runs(List<Double> values, String format) {
    return values.stream().map(v -> String.format(format, v)).collect(Collectors.joining(" / "));
  }
}
