package io.fanout.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("How many tasks a fan-out sends per window")
class DispatchWindowTest {
  private static final int MAX_TASKS = 4096;
  private static final long MAX_BYTES = 16L << 20;
  private static final long LARGEST_ITEM = 65_536;

  @Test
  @DisplayName("a count job's windows are always the most")
  void countJobsTakeTheMost() {
    assertThat(new DispatchWindow(MAX_TASKS, MAX_BYTES, LARGEST_ITEM).next(false)).isEqualTo(MAX_TASKS);
  }

  @Test
  @DisplayName("a dataset's first window assumes items as large as allowed, then the largest item read")
  void datasetsFollowTheirItems() {
    DispatchWindow window = new DispatchWindow(MAX_TASKS, MAX_BYTES, LARGEST_ITEM);
    assertThat(window.next(true)).isEqualTo(256);

    window.read(Collections.nCopies(256, "x".repeat(100)));
    assertThat(window.next(true)).as("small items: as many as allowed").isEqualTo(MAX_TASKS);

    window.read(java.util.List.of("x".repeat(32_768)));
    assertThat(window.next(true)).as("one 32 KB item among them: 16 MB of such").isEqualTo(512);
  }

  @Test
  @DisplayName("a window always holds at least one task")
  void atLeastOne() {
    DispatchWindow window = new DispatchWindow(MAX_TASKS, 1_000, LARGEST_ITEM);
    assertThat(window.next(true)).isEqualTo(1);
  }
}
