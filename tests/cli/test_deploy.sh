#!/usr/bin/env bash
# Deployment: the compose files are valid, the timer fires at 00:30 Vietnam
# time, cmake --install lays everything out, secrets refuse the command line,
# and dfa-rebuild replays Kafka into a fresh Redis that equals the live one.
source "$(dirname "$0")/lib.sh"

# compose files, validated by docker-compose (no engine needed for `config`)
mkdir -p "$WORK/compose/config/secrets"
cp "$ROOT"/docker-compose*.yml "$ROOT/Dockerfile" "$WORK/compose/"
cp "$ROOT/config/secrets.env.example" "$WORK/compose/config/secrets.env"
cp "$ROOT/config/secrets/redis.acl.example" "$WORK/compose/config/secrets/redis.acl"
for u in admin gateway consumer snapshot; do
  cp "$ROOT/config/secrets/kafka-$u.env.example" "$WORK/compose/config/secrets/kafka-$u.env"
done
check "docker-compose.yml is valid" bash -c "cd '$WORK/compose' && docker-compose -f docker-compose.yml config -q"
check "the three-broker variant is valid" bash -c "cd '$WORK/compose' && docker-compose -f docker-compose.yml -f docker-compose.kafka3.yml config -q"
(cd "$WORK/compose" && docker-compose -f docker-compose.yml -f docker-compose.kafka3.yml config) >"$WORK/merged.yml"
check "the variant creates topics with replication 3" grep -q "REPLICATION: '3'" "$WORK/merged.yml"
check "and runs a third broker" grep -q '^  kafka3:' "$WORK/merged.yml"
# the values of the flags, not just their names: `--appendfsync everysec` could lose applied batches
(cd "$WORK/compose" && docker-compose -f docker-compose.yml config) >"$WORK/base.yml"
redis_flag() { # redis_flag FLAG: the value after FLAG in the redis service's resolved command
  sed -n '/^  redis:$/,/^  [^ ]/p' "$WORK/base.yml" | grep -A1 -x -e "    - $1" | sed -n '2s/^    - //p' | tr -d '"'
}
expect_eq "Redis keeps an AOF" "$(redis_flag --appendonly)" yes
expect_eq "Redis fsyncs the AOF always" "$(redis_flag --appendfsync)" always

# Kafka: SASL on every listener, the StandardAuthorizer, one user per program, each with only its ACLs
compose="$ROOT/docker-compose.yml"
has() { grep -qxF -- "$1" "$2"; } # has LINE FILE: an exact line
check "Kafka: no PLAINTEXT listener" bash -c "! grep -q 'PLAINTEXT://' '$compose' '$ROOT/docker-compose.kafka3.yml'"
check "Kafka: every listener SASL" has "      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT,BROKER:SASL_PLAINTEXT" "$compose"
check "Kafka: clients by SCRAM-SHA-512" has "      KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS: SCRAM-SHA-512" "$compose"
check "Kafka: the StandardAuthorizer" has "      KAFKA_AUTHORIZER_CLASS_NAME: org.apache.kafka.metadata.authorizer.StandardAuthorizer" "$compose"
check "Kafka: only the admin is super" has "      KAFKA_SUPER_USERS: User:dfa_admin" "$compose"
check "Kafka: no ACL means no access" has '      KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: "false"' "$compose"
check "Kafka: the three-broker variant the same" has "  KAFKA_AUTHORIZER_CLASS_NAME: org.apache.kafka.metadata.authorizer.StandardAuthorizer" "$ROOT/docker-compose.kafka3.yml"
for acl in \
  'acl --allow-principal User:dfa_gateway --operation Write --operation Describe --topic "$$EVENTS"' \
  'acl --allow-principal User:dfa_gateway --operation IdempotentWrite --cluster' \
  'acl --allow-principal User:dfa_consumer --operation Read --operation Describe --topic "$$EVENTS"' \
  'acl --allow-principal User:dfa_consumer --operation Read --group "$$CONSUMER_GROUP"' \
  'acl --allow-principal User:dfa_consumer --operation Write --operation Describe --topic "$$DEADLETTER"' \
  'acl --allow-principal User:dfa_consumer --operation IdempotentWrite --cluster' \
  'acl --allow-principal User:dfa_snapshot --operation Write --operation Describe --topic "$$ROLLUPS"' \
  'acl --allow-principal User:dfa_snapshot --operation IdempotentWrite --cluster'; do
  check "Kafka ACL: ${acl#acl --allow-principal }" has "        $acl" "$compose"
done
expect_eq "Kafka: no other ACL" "$(grep -c '^        acl --allow-principal' "$compose")" 8
check "Kafka: SCRAM users created from the secrets" has '          printf '"'"'SCRAM-SHA-512=iterations=8192,password=%s\n'"'"' "$$(password kafka_$$u)" >/tmp/scram.properties' "$compose"
check "Kafka: for the three users" has "        for u in gateway consumer snapshot; do   # SCRAM credentials: created, or updated to the secret" "$compose"
for u in gateway consumer snapshot; do
  check "the $u service logs in as dfa_$u" bash -c "sed -n '/^  $u:\$/,/^  [^ ]/p' '$WORK/base.yml' | grep -qxF '      DFA_KAFKA_SASL_USERNAME: dfa_$u'"
  check "with its own password file" has "    env_file: [config/secrets.env, config/secrets/kafka-$u.env]" "$compose"
  check "which kafka-init reads as a secret" has "    file: ./config/secrets/kafka-$u.env" "$compose"
done
check "no secret literal in the compose files" bash -c "! grep -nE 'change-me|SASL_PASSWORD:' '$compose' '$ROOT/docker-compose.kafka3.yml'"
expect_eq "every password= is filled from a secret" \
  "$(grep -oh 'password=[^ ;]*' "$compose" "$ROOT/deploy/kafka/kafka-start.sh" | sort -u | tr '\n' ' ')" \
  'password="$pw" password=%s\n'"'"' password=\"$$admin\" '
# the init job's script is valid shell once compose has unescaped it
sed -n '/^  kafka-init:$/,/^  [^ ]/p' "$compose" | sed -n '/^      - |$/,/^    restart/p' | sed '1d;$d' | sed 's/\$\$/$/g' >"$WORK/init.sh"
check "the init script parses" bash -n "$WORK/init.sh"
check "the broker's start script parses" bash -n "$ROOT/deploy/kafka/kafka-start.sh"

# the nightly timer: 00:30 in Asia/Ho_Chi_Minh is 17:30 UTC
cal=$(grep OnCalendar "$ROOT/deploy/systemd/dfa-snapshot.timer" | cut -d= -f2)
check "the timer fires at 17:30 UTC" bash -c "TZ=UTC systemd-analyze calendar '$cal' --iterations=1 | grep -q ' 17:30:00 UTC'"

# cmake --install
cmake --install "$BIN" --prefix "$WORK/inst" >/dev/null
for f in bin/dfa-consumer bin/dfa-snapshot bin/dfa-query bin/dfa-produce bin/dfa-nightly-loop bin/dfa-rebuild \
         etc/dfa/catalog.json etc/dfa/provinces.csv lib/systemd/system/dfa-consumer@.service \
         lib/systemd/system/dfa-snapshot.timer include/dfa/dfa_producer.h; do
  check "installed $f" test -e "$WORK/inst/$f"
done

# secrets never on the command line
expect_exit "a password given as a flag is refused" 2 "$BIN/bin/dfa-check" --set redis.password=x </dev/null
check "with the reason" grep -q 'redis.password is a secret: give it in the config file or as DFA_REDIS_PASSWORD' "$WORK/exit.err"

# dfa-rebuild: replay into a fresh Redis and compare
start_pipeline
"$BIN/bin/dfa-loadgen" --count 3000 --seed 9 --kafka --truth "$WORK/truth.json" 2>/dev/null
truth_tsv "$WORK/truth.json" >"$WORK/want.tsv"
start_consumer live
check "the live pipeline converged" wait_converged "$WORK/want.tsv" 60
live_port=$REDIS_PORT
unset REDIS_PORT
start_redis
fresh_port=$REDIS_PORT
export DFA_REDIS_PORT=$live_port
check "dfa-rebuild: the rebuilt Redis equals the live one" "$ROOT/scripts/dfa-rebuild" --into "127.0.0.1:$fresh_port" --compare --timeout 120
expect_exit "dfa-rebuild refuses a Redis that is not empty" 2 "$ROOT/scripts/dfa-rebuild" --into "127.0.0.1:$fresh_port"
redis-cli -p "$live_port" hincrby 'dfa:{p:01}:c:M2025-01' 'delegations_out@01' 1 >/dev/null
redis-cli -p "$fresh_port" flushall >/dev/null
expect_exit "a damaged live counter is found" 1 "$ROOT/scripts/dfa-rebuild" --into "127.0.0.1:$fresh_port" --compare --timeout 120
check "and shown" grep -q 'delegations_out@01' "$WORK/exit.err"
finish
