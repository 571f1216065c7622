#!/bin/sh
# One KRaft node of the compose cluster (controller and broker): writes its config, formats its storage on
# the first start with a SCRAM-SHA-512 user per folder of /credentials (admin and every role of
# streams/roles.py, made by the `credentials` service), then runs Kafka in the foreground.
set -eu
admin=$(cat /credentials/admin/password)
config=/tmp/server.properties
cat > "$config" <<PROPERTIES
node.id=${NODE_ID}
process.roles=broker,controller
controller.quorum.voters=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
listeners=CLIENT://:9092,CONTROLLER://:9093
advertised.listeners=CLIENT://kafka-${NODE_ID}:9092
listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=CLIENT
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${admin}";
# SCRAM credentials live in the metadata the controllers serve, so the controller listener uses PLAIN.
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${admin}" user_admin="${admin}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin
log.dirs=/var/lib/kafka/data
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
auto.create.topics.enable=false
PROPERTIES
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  set --
  for folder in /credentials/*/; do
    user=$(basename "$folder")
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=${user},password=$(cat "$folder/password")]"
  done
  /opt/kafka/bin/kafka-storage.sh format -t "$CLUSTER_ID" -c "$config" "$@"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
