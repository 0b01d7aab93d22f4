package io.fanout.worker;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Asynchronous calls over a list, a bounded number in flight, so a big list does not flood a client's queue. */
final class GroupedCalls {
  private GroupedCalls() {}

  /** Applies {@code call} to every element, {@code inFlight} at a time, in order; the results in the elements' order. */
  static <T, R> Future<List<R>> of(List<T> elements, int inFlight, Function<T, Future<R>> call) {
    Future<List<R>> done = Future.succeededFuture(new ArrayList<>(elements.size()));
    for (int from = 0; from < elements.size(); from += inFlight) {
      List<T> group = elements.subList(from, Math.min(elements.size(), from + inFlight));
      done = done.compose(results -> Future.all(group.stream().map(call).toList()).map(all -> {
        results.addAll(all.<R>list());
        return results;
      }));
    }
    return done;
  }
}
