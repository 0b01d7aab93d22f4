package io.fanout.worker;

import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

/** The task types this worker can run, by name. */
final class TaskHandlers {
  private final Map<String, TaskHandler> byType;

  private TaskHandlers(Map<String, TaskHandler> byType) {
    this.byType = byType;
  }

  static TaskHandlers discover() {
    Map<String, TaskHandler> byType = new HashMap<>();
    for (TaskHandler handler : ServiceLoader.load(TaskHandler.class)) {
      TaskHandler previous = byType.putIfAbsent(handler.type(), handler);
      if (previous != null) {
        throw new IllegalStateException("two handlers for task type '" + handler.type() + "': "
            + previous.getClass().getName() + " and " + handler.getClass().getName());
      }
    }
    return new TaskHandlers(byType);
  }

  /** These handlers and one made by the worker itself (a type that needs the worker's Vert.x, Redis or settings). */
  TaskHandlers with(TaskHandler handler) {
    Map<String, TaskHandler> more = new HashMap<>(byType);
    if (more.putIfAbsent(handler.type(), handler) != null) {
      throw new IllegalStateException("two handlers for task type '" + handler.type() + "'");
    }
    return new TaskHandlers(more);
  }

  TaskHandler forType(String type) {
    return byType.get(type);
  }
}
