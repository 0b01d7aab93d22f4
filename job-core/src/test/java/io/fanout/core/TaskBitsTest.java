package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.core.TaskBits.Piece;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Task indexes as pieces of a Redis bitmap")
class TaskBitsTest {

  @Test
  @DisplayName("task i is bit i % 8 of byte i / 8, counted from the most significant bit, as in SETBIT")
  void bitOrderIsRedisOrder() {
    List<Piece> pieces = TaskBits.of(new long[] {9, 0, 1, 2, 2});
    assertThat(pieces).hasSize(1);
    assertThat(pieces.get(0).byteOffset()).isZero();
    assertThat(pieces.get(0).bytes()).containsExactly(0xE0, 0x40);
  }

  @Test
  @DisplayName("a piece starts at the byte of its first index")
  void pieceStartsAtItsFirstByte() {
    List<Piece> pieces = TaskBits.of(new long[] {8_000_007});
    assertThat(pieces.get(0).byteOffset()).isEqualTo(1_000_000);
    assertThat(pieces.get(0).bytes()).containsExactly(0x01);
  }

  @Test
  @DisplayName("up to eight empty bytes stay inside a piece; more start a new one")
  void gapsSplitPieces() {
    assertThat(TaskBits.of(new long[] {0, 72})).hasSize(1);
    assertThat(TaskBits.of(new long[] {0, 72}).get(0).bytes()).hasSize(10);
    List<Piece> split = TaskBits.of(new long[] {0, 80, 81});
    assertThat(split).extracting(Piece::byteOffset).containsExactly(0L, 10L);
    assertThat(split.get(1).bytes()).containsExactly(0xC0);
  }

  @Test
  @DisplayName("as script arguments: the count of pieces, then each one's offset and bytes")
  void arguments() {
    List<Object> args = TaskBits.asArguments(TaskBits.of(new long[] {0, 800}));
    assertThat(args).hasSize(5);
    assertThat(args.get(0)).isEqualTo(2);
    assertThat(args.get(3)).isEqualTo(100L);
    assertThat(TaskBits.asArguments(List.of())).containsExactly(0);
  }
}
