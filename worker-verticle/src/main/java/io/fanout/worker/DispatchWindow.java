package io.fanout.worker;

import java.util.List;

/**
 * How many tasks one fan-out sends per window. A count job's tasks are bare indexes: always the
 * most, {@code PRODUCE_WINDOW}. A dataset's window holds its items in memory until Kafka has them,
 * so it is also kept to about {@code PRODUCE_WINDOW_BYTES} of items, taking each to be as large as
 * the largest read so far (as large as allowed before any is read). Sizes are counted in
 * characters, as the items are held in memory: Latin-1 strings take a byte per character.
 */
final class DispatchWindow {
  private final int maxTasks;
  private final long maxBytes;
  private final long largestItem;
  private long largestRead;

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
    long itemSize = largestRead == 0 ? largestItem : largestRead;
    return (int) Math.max(1, Math.min(maxTasks, maxBytes / itemSize));
  }

  /** Items a window read: they tell the size of the next ones. */
  void read(List<String> items) {
    for (String item : items) {
      largestRead = Math.max(largestRead, item == null ? 0 : item.length());
    }
  }
}
