#!/bin/sh
# Makes a random password for every Kafka user the compose cluster has ($USERS: admin and every role of
# streams/roles.py), once: /credentials/<user>/password. Owned by citygate's image user (10001), readable
# by the Kafka image's group (1000, the brokers format their SCRAM users from them), nobody else; a worker
# mounts only its own folder (a volume subpath), never another user's.
set -eu
umask 077
for user in $USERS; do
  mkdir -p "/credentials/$user"
  [ -s "/credentials/$user/password" ] || od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "/credentials/$user/password"
done
chown -R 10001:1000 /credentials
chmod 0750 /credentials /credentials/*
chmod 0640 /credentials/*/password
