#!/bin/sh
# As admin: every topic (public and the workers' Faust topics), every role's ACLs, the registry root's key
# and the worker's own signing key (role incident_desk), each once. Idempotent, like the commands it runs.
set -eu
citygate topics create
citygate acl apply --all
[ -f /keys/root.key ] || citygate operators root --key-out /keys/root.key
if [ ! -f /keys/incident-desk.key ]; then
  CITYGATE_OPERATOR_KEY_FILE=/keys/root.key CITYGATE_REGISTRY_ROOT_KEY=@/keys/root.key \
    citygate operators add incident-desk --role incident_desk --key-out /keys/incident-desk.key
fi
# The workers run as the image's user and read the keys (0600 as written).
chown -R 10001:10001 /keys
