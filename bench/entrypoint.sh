#!/bin/sh
# The entrypoint many users write instead of infx-exec: sh + curl + jq.
# Same job, same requests: universal-auth login, list the secrets of one
# path (imports included, references expanded), export them, exec the
# command. Used by bench/measure.py (startup.py) as a comparison point only.
#
#   INFISICAL_API_URL INFISICAL_PROJECT_ID INFISICAL_ENVIRONMENT
#   INFISICAL_UNIVERSAL_AUTH_CLIENT_ID INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET
#   [INFISICAL_SECRET_PATH] [CURL_CA_BUNDLE]   entrypoint.sh COMMAND [ARG]...
set -eu

api=${INFISICAL_API_URL%/}/api
token=$(curl -fsS -X POST "$api/v1/auth/universal-auth/login" \
    -H 'Content-Type: application/json' \
    -d "{\"clientId\":\"$INFISICAL_UNIVERSAL_AUTH_CLIENT_ID\",\"clientSecret\":\"$INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET\"}" |
    jq -r .accessToken)

# Imports first, the folder's own secrets last: a later export wins.
exports=$(curl -fsS -G "$api/v4/secrets" -H "Authorization: Bearer $token" \
    --data-urlencode "projectId=$INFISICAL_PROJECT_ID" \
    --data-urlencode "environment=$INFISICAL_ENVIRONMENT" \
    --data-urlencode "secretPath=${INFISICAL_SECRET_PATH:-/}" \
    -d include_imports=true -d includeImports=true -d recursive=false \
    -d expandSecretReferences=true |
    jq -r '((.imports // []) | map(.secrets[]) | .[]), .secrets[]
           | "export \(.secretKey)=\(.secretValue | @sh)"')
eval "$exports"
unset token exports INFISICAL_UNIVERSAL_AUTH_CLIENT_ID INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET
exec "$@"
