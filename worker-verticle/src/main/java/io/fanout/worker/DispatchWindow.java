package io.fanout.worker;

import java.util.List;

/**
 * How many tasks one fan-out sends per window. A count job's tasks are bare indexes: always the
 * most, {@code PRODUCE_WINDOW}. A dataset's window holds its items in memory until Kafka has them,
 * so it is also kept to about {@code PRODUCE_WINDOW_BYTES} of items, by the average size of the
 * items read so far; before any is read, items are taken to be as large as allowed.
 */
final class DispatchWindow {
  private final int maxTasks;
  private final long maxBytes;
  private final long largestItem;
  private long itemsRead;
  private long charsRead;

  DispatchWindow(int maxTasks, long maxBytes, long largestItem) {
    this.maxTasks = maxTasks;
    this.maxBytes = maxBytes;
    this.largestItem = largestItem;
  }

  /** The size of the next window. */
  int next(boolean itemized) {
    if (!itemized) {
      return maxTasks;
    }
    double averageItem = itemsRead == 0 ? largestItem : Math.max(1.0, (double) charsRead / itemsRead);
    return (int) Math.max(1, Math.min(maxTasks, maxBytes / averageItem));
  }

  /** Items a window read: they tell the size of the next ones. */
  void read(List<String> items) {
    for (String item : items) {
      itemsRead++;
      charsRead += item == null ? 0 : item.length();
    }
  }
}
