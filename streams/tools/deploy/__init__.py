"""Kubernetes resources generated from the code's own tables (`citygate deploy render`): Strimzi KafkaTopics
from streams/topics.py, KafkaUsers from the role table (streams/roles.py), and the monitoring resources from
deploy/prometheus and deploy/grafana. Generated, never written by hand, so a topic or a grant changed in the
code cannot drift from what a cluster is given. Plain data in, YAML text out: no Kafka client, never Faust."""
