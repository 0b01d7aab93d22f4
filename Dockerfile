# Fanout's runnable jar on a Java 17 runtime: one image for every role (the command picks them).
# Build the jar first, then the image:
#   mvn -B -q package -DskipTests && docker build -t fanout .
FROM eclipse-temurin:17-jre

# curl is what the compose health checks call.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY app/target/fanout.jar /app/fanout.jar

# In a container the API and the bridge listen on every interface; an embedded Kafka or Redis
# (when no KAFKA_BOOTSTRAP_SERVERS / REDIS_URL is given) keeps its data under /data.
ENV HTTP_HOST=0.0.0.0 \
    DATA_DIR=/data

# HTTP API, progress bridge, Hazelcast (the event bus takes a free port).
EXPOSE 8080 8081 5701

# The --add-* options give Hazelcast the JDK internals it asks for at start.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", \
  "--add-modules", "java.se", \
  "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", \
  "--add-opens", "java.base/java.lang=ALL-UNNAMED", \
  "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", \
  "--add-opens", "java.management/sun.management=ALL-UNNAMED", \
  "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED", \
  "-jar", "/app/fanout.jar"]
CMD ["--help"]
