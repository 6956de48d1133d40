#!/usr/bin/env bash
# The main job, end to end, with no Infisical at hand: start the bundled
# Infisical-compatible server with the demo secrets (tests/data/demo.json,
# all fake), then run a command through infx-exec the way a compose service
# would, and show what the command received.
#
#   scripts/demo.sh [path/to/infx-exec]      (make demo)
set -euo pipefail
cd "$(dirname "$0")/.."
shim=${1:-build/infx-exec}

coproc SERVER { exec /usr/bin/python3 tests/infisical_server.py \
	--data tests/data/demo.json --port 0; }
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
read -r url <&"${SERVER[0]}"

# What the n8n service of the stack would have in its compose file. The
# client secret would come from a Docker secret file (…_FILE) there.
export INFISICAL_API_URL=$url
export INFISICAL_PROJECT_ID=demo-project
export INFISICAL_ENVIRONMENT=dev
export INFISICAL_SECRET_PATH=/n8n
export INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=demo-client-id
export INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=demo-client-secret
export N8N_HOST=n8n.localhost		# plain configuration stays in compose

echo "local Infisical-compatible server: $url (demo data, fake secrets)"
echo "\$ infx-exec -- sh -c 'show the environment'   # path /n8n, env dev"
echo
"$shim" -- /bin/sh -c '
	echo "the command runs as PID $$ (it replaced infx-exec) and received:"
	for name in N8N_HOST N8N_ENCRYPTION_KEY N8N_USER_MANAGEMENT_JWT_SECRET \
		DB_POSTGRESDB_USER DB_POSTGRESDB_PASSWORD POSTGRES_PASSWORD \
		JWT_SECRET DASHBOARD_PASSWORD N8N_GREETING N8N_CUSTOM_CA_PEM; do
		eval "value=\${$name-<unset>}"
		printf "  %s=%s\n" "$name" "$value"
	done
	echo "credential variables left in its environment: $(env |
		grep -c "^INFISICAL_UNIVERSAL_AUTH_" || true)"
'
