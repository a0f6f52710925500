#!/bin/bash
# Starts a KRaft node of docker-compose.yml (apache/kafka image) with SASL on
# every listener (docs/operations.md, "Who may do what on Kafka"):
#   CONTROLLER :9093 and BROKER :9094  SASL/PLAIN, only the admin (dfa_admin): the
#                                      controllers, the brokers, kafka-init
#   CLIENT     :9092                   SASL/SCRAM-SHA-512: the programs, each its own user
# The admin's password comes from the Docker secret kafka_admin (a file in the
# env_file syntax, DFA_KAFKA_SASL_PASSWORD=...); it goes into a JAAS file that
# only this container's user may read, never into a command line or the compose file.
set -euo pipefail
umask 077
secret=/run/secrets/kafka_admin
pw=$(sed -n 's/^DFA_KAFKA_SASL_PASSWORD=//p' "$secret")
case $pw in
  '' | *[\"\\[:space:]]*)
    echo "kafka-start: $secret: DFA_KAFKA_SASL_PASSWORD must be set, without quotes, backslashes or spaces" >&2
    exit 1 ;;
esac
cat >/tmp/dfa-jaas.conf <<JAAS
KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  username="dfa_admin" password="$pw" user_dfa_admin="$pw";
};
client.KafkaServer {
  org.apache.kafka.common.security.scram.ScramLoginModule required;
};
JAAS
# the admin's client configuration, for the healthcheck
cat >/tmp/dfa-admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="dfa_admin" password="$pw";
PROPS
export KAFKA_OPTS="${KAFKA_OPTS:-} -Djava.security.auth.login.config=/tmp/dfa-jaas.conf"
exec /etc/kafka/docker/run
