#!/bin/sh
# Write the secrets docker-compose.yml needs to .env (next to it), once: the NATS users' passwords
# and the PostgreSQL password. Refuses to overwrite an existing file — changing a password means
# changing it in the running servers too (deploy/README.md).
#
#   deploy/make-secrets.sh [path]     # default: .env in the repository root
#
# Passwords are letters and digits only and start with a letter: nats-server parses a value it
# reads from the environment as config (a "#" would start a comment, "0123" would be a number),
# and they go into nats:// and postgresql:// URLs unescaped.
set -eu

target=${1:-"$(cd "$(dirname "$0")/.." && pwd)/.env"}
if [ -e "$target" ]; then
    echo "$target exists; not overwriting it" >&2
    exit 1
fi

password() {
    # 1 letter + 39 letters/digits: about 233 bits.
    first=$(LC_ALL=C tr -dc 'A-Za-z' </dev/urandom | head -c 1)
    rest=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 39)
    printf '%s%s' "$first" "$rest"
}

umask 077
{
    echo "# Tilts secrets for docker-compose.yml, written by deploy/make-secrets.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)."
    echo "# Never commit this file; back it up with the keys volume (deploy/README.md)."
    echo "NATS_INTAKE_PASSWORD=$(password)"
    echo "NATS_REPORTING_PASSWORD=$(password)"
    echo "NATS_NOTIFICATIONS_PASSWORD=$(password)"
    echo "NATS_OPERATOR_PASSWORD=$(password)"
    echo "NATS_SYS_PASSWORD=$(password)"
    echo "POSTGRES_PASSWORD=$(password)"
    echo "# Where institutions open their answer links (the notifications service behind HTTPS)."
    echo "TILTS_NOTIFY_PUBLIC_URL=http://127.0.0.1:8082"
    echo "# Where institutions' own systems post their answers (the intake behind HTTPS); notices tell it."
    echo "TILTS_PUBLIC_INTAKE_URL=http://127.0.0.1:8080"
} >"$target"
echo "wrote $target (mode 0600)"
