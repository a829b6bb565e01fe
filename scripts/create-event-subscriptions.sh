#!/bin/sh
# postdeploy hook (azure.yaml): creates the Event Grid subscriptions to smsEvents and accountEvents
# with one ARM deployment of infra/event-subscriptions.bicep, once the Functions host lists both
# functions. An AzureFunction destination is checked against the function itself, so this cannot
# happen before the code is deployed and indexed; a new Flex Consumption app can take minutes.
# Safe to run again by hand at any time (nothing changes when the subscriptions are already right):
#   azd env get-values > .env.deploy && set -a && . ./.env.deploy && set +a && sh scripts/create-event-subscriptions.sh
# Needs the Azure CLI, signed in to the same tenant as azd (`az login`).
set -eu

# azd passes its environment values (main.bicep's outputs) to hooks as environment variables.
: "${AZURE_SUBSCRIPTION_ID:?not set: run this from azd, or export the values of azd env get-values}"
: "${AZURE_LOCATION:?not set}"
: "${AZURE_RESOURCE_GROUP:?not set}"
: "${AZURE_FUNCTION_APP_NAME:?not set}"
: "${AZURE_STORAGE_ACCOUNT_NAME:?not set}"
: "${ACS_RESOURCE_GROUP_NAME:?not set}"
: "${ACS_SYSTEM_TOPIC_NAME:?not set}"
: "${EVENTGRID_TOPIC_NAME:?not set}"
: "${EVENTGRID_DEAD_LETTER_CONTAINER:?not set}"

WAIT_SECONDS=${EVENT_SUBSCRIPTIONS_WAIT_SECONDS:-600}
POLL_SECONDS=${EVENT_SUBSCRIPTIONS_POLL_SECONDS:-15}
RETRY_SECONDS=${EVENT_SUBSCRIPTIONS_RETRY_SECONDS:-60}
template="$(dirname "$0")/../infra/event-subscriptions.bicep"

say() { printf '%s\n' "$*"; }
fail() {
  say "ERROR: $*" >&2
  say "The app is deployed, but without these subscriptions it receives no SMS or WhatsApp account event." >&2
  say "Run this script again once the cause is fixed: sh scripts/create-event-subscriptions.sh (with the azd env values exported)." >&2
  exit 1
}

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is not installed; it deploys infra/event-subscriptions.bicep."
az account show --subscription "$AZURE_SUBSCRIPTION_ID" --output none 2>/dev/null ||
  fail "the Azure CLI cannot use subscription $AZURE_SUBSCRIPTION_ID: run az login."

say "Event Grid subscriptions: waiting until $AZURE_FUNCTION_APP_NAME lists smsEvents and accountEvents (up to ${WAIT_SECONDS}s)..."
waited=0
while :; do
  listed=$(az functionapp function list --subscription "$AZURE_SUBSCRIPTION_ID" --resource-group "$AZURE_RESOURCE_GROUP" \
    --name "$AZURE_FUNCTION_APP_NAME" --query "[].name" --output tsv 2>/dev/null || true)
  # Names come back as <app>/<function>.
  sms=no; account=no
  for name in $listed; do
    case "$name" in
      */smsEvents) sms=yes ;;
      */accountEvents) account=yes ;;
    esac
  done
  if [ "$sms" = yes ] && [ "$account" = yes ]; then
    say "  both functions are indexed after ${waited}s."
    break
  fi
  if [ "$waited" -ge "$WAIT_SECONDS" ]; then
    fail "after ${waited}s the host still lists neither or only one of them (smsEvents: $sms, accountEvents: $account). Check GET /api/health and the app's logs: a host that fails to start indexes nothing."
  fi
  say "  ${waited}s: smsEvents indexed: $sms, accountEvents indexed: $account; checking again in ${POLL_SECONDS}s"
  sleep "$POLL_SECONDS"
  waited=$((waited + POLL_SECONDS))
done

deployment="event-subscriptions-$AZURE_FUNCTION_APP_NAME"
attempt=1
while :; do
  say "Event Grid subscriptions: ARM deployment $deployment (attempt $attempt of 3)..."
  if az deployment sub create --subscription "$AZURE_SUBSCRIPTION_ID" --location "$AZURE_LOCATION" \
    --name "$deployment" --template-file "$template" --output none \
    --parameters resourceGroupName="$AZURE_RESOURCE_GROUP" acsResourceGroupName="$ACS_RESOURCE_GROUP_NAME" \
    functionAppName="$AZURE_FUNCTION_APP_NAME" systemTopicName="$ACS_SYSTEM_TOPIC_NAME" \
    topicName="$EVENTGRID_TOPIC_NAME" storageAccountName="$AZURE_STORAGE_ACCOUNT_NAME" \
    deadLetterContainerName="$EVENTGRID_DEAD_LETTER_CONTAINER"; then
    say "Event Grid subscriptions: sms-to-$AZURE_FUNCTION_APP_NAME and whatsapp-to-$AZURE_FUNCTION_APP_NAME are in place."
    exit 0
  fi
  # A topic's new identity may not yet hold its dead-letter role: that settles within minutes.
  [ "$attempt" -ge 3 ] && fail "the deployment failed three times (its error is above)."
  say "  failed; trying again in ${RETRY_SECONDS}s (new role assignments take minutes to apply)"
  sleep "$RETRY_SECONDS"
  attempt=$((attempt + 1))
done
