# syntax=docker/dockerfile:1
# The gateway image: `docker build -t platemate/gateway .`
# Runs `gateway run` by default; any other command of the CLI works too (`stub-upstream`, `status`, `check`).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY gateway/pom.xml gateway/
RUN mvn -B -q -pl gateway -am dependency:go-offline
COPY gateway/src gateway/src
# the stand-in upstream's certificate is packed into the jar from config/
COPY config config
RUN mvn -B -q -pl gateway -am package -DskipTests

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --no-create-home gateway
COPY --from=build /src/gateway/target/gateway.jar /app/gateway.jar
COPY gateway.yml /etc/gateway/gateway.yml
ENV GATEWAY_CONFIG=/etc/gateway/gateway.yml \
    JAVA_OPTS="-XX:+UseG1GC -XX:MaxRAMPercentage=75 -XX:MaxDirectMemorySize=256m"
USER gateway
EXPOSE 8080
# bash's /dev/tcp: no curl needed in the image
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/live HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/gateway.jar \"$@\"", "gateway"]
CMD ["run"]
