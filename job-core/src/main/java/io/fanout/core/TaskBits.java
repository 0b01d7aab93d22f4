package io.fanout.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of task indexes written as pieces of a Redis bitmap, for the scripts that count and mark
 * tasks: each piece is a byte offset into the job's bitmap and the bytes from there, with the bit
 * of task {@code i} where Redis keeps it (byte {@code i / 8}, most significant bit first). A
 * script then merges them into a bitmap with BITOP, or a byte at a time, instead of one command
 * per task. A batch of outcomes covers a dense range of indexes, so it is a few pieces; a gap of more
 * than {@link #MAX_GAP_BYTES} empty bytes starts a new piece, so a sparse set costs no more than
 * an offset per index.
 */
public final class TaskBits {
  static final int MAX_GAP_BYTES = 8;

  /** One piece: the bitmap's bytes from {@code byteOffset} on. */
  public record Piece(long byteOffset, byte[] bytes) {}

  private TaskBits() {}

  /** The pieces holding exactly these indexes (in any order, repeats allowed). */
  public static List<Piece> of(long[] indexes) {
    long[] sorted = indexes.clone();
    Arrays.sort(sorted);
    List<Piece> pieces = new ArrayList<>();
    int from = 0;
    while (from < sorted.length) {
      int to = from + 1;
      while (to < sorted.length && sorted[to] / 8 - sorted[to - 1] / 8 <= MAX_GAP_BYTES + 1) {
        to++;
      }
      long firstByte = sorted[from] / 8;
      byte[] bytes = new byte[(int) (sorted[to - 1] / 8 - firstByte + 1)];
      for (int i = from; i < to; i++) {
        bytes[(int) (sorted[i] / 8 - firstByte)] |= (byte) (0x80 >>> (sorted[i] % 8));
      }
      pieces.add(new Piece(firstByte, bytes));
      from = to;
    }
    return pieces;
  }

  /** The pieces as script arguments: their count, then each one's byte offset and bytes. */
  public static List<Object> asArguments(List<Piece> pieces) {
    List<Object> args = new ArrayList<>(1 + 2 * pieces.size());
    args.add(pieces.size());
    for (Piece piece : pieces) {
      args.add(piece.byteOffset());
      args.add(piece.bytes());
    }
    return args;
  }
}
