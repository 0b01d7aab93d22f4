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

  TaskHandler forType(String type) {
    return byType.get(type);
  }
}
