# postdeploy hook (azure.yaml) on Windows: the same steps as create-event-subscriptions.sh, which
# explains them. Waits until the Functions host lists smsEvents and accountEvents, then deploys
# infra/event-subscriptions.bicep with the Azure CLI (signed in with `az login`).
$ErrorActionPreference = 'Stop'

$required = 'AZURE_SUBSCRIPTION_ID', 'AZURE_LOCATION', 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME',
  'AZURE_STORAGE_ACCOUNT_NAME', 'ACS_RESOURCE_GROUP_NAME', 'ACS_SYSTEM_TOPIC_NAME', 'EVENTGRID_TOPIC_NAME',
  'EVENTGRID_DEAD_LETTER_CONTAINER'
foreach ($name in $required) {
  if (-not [Environment]::GetEnvironmentVariable($name)) { throw "$name is not set: run this from azd, or set the values of azd env get-values" }
}
$waitSeconds = if ($env:EVENT_SUBSCRIPTIONS_WAIT_SECONDS) { [int]$env:EVENT_SUBSCRIPTIONS_WAIT_SECONDS } else { 600 }
$pollSeconds = if ($env:EVENT_SUBSCRIPTIONS_POLL_SECONDS) { [int]$env:EVENT_SUBSCRIPTIONS_POLL_SECONDS } else { 15 }
$retrySeconds = if ($env:EVENT_SUBSCRIPTIONS_RETRY_SECONDS) { [int]$env:EVENT_SUBSCRIPTIONS_RETRY_SECONDS } else { 60 }
$template = Join-Path $PSScriptRoot '..' 'infra' 'event-subscriptions.bicep'
$app = $env:AZURE_FUNCTION_APP_NAME

function Fail([string]$message) {
  Write-Host "ERROR: $message"
  Write-Host 'The app is deployed, but without these subscriptions it receives no SMS or WhatsApp account event.'
  Write-Host 'Run this script again once the cause is fixed: pwsh scripts/create-event-subscriptions.ps1 (with the azd env values set).'
  exit 1
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) { Fail 'the Azure CLI (az) is not installed; it deploys infra/event-subscriptions.bicep.' }
az account show --subscription $env:AZURE_SUBSCRIPTION_ID --output none 2>$null
if ($LASTEXITCODE -ne 0) { Fail "the Azure CLI cannot use subscription $($env:AZURE_SUBSCRIPTION_ID): run az login." }

Write-Host "Event Grid subscriptions: waiting until $app lists smsEvents and accountEvents (up to ${waitSeconds}s)..."
$waited = 0
while ($true) {
  $listed = @(az functionapp function list --subscription $env:AZURE_SUBSCRIPTION_ID --resource-group $env:AZURE_RESOURCE_GROUP `
      --name $app --query '[].name' --output tsv 2>$null)
  $sms = [bool]($listed | Where-Object { $_ -like '*/smsEvents' })
  $account = [bool]($listed | Where-Object { $_ -like '*/accountEvents' })
  if ($sms -and $account) { Write-Host "  both functions are indexed after ${waited}s."; break }
  if ($waited -ge $waitSeconds) {
    Fail "after ${waited}s the host still lists neither or only one of them (smsEvents: $sms, accountEvents: $account). Check GET /api/health and the app's logs."
  }
  Write-Host "  ${waited}s: smsEvents indexed: $sms, accountEvents indexed: $account; checking again in ${pollSeconds}s"
  Start-Sleep -Seconds $pollSeconds
  $waited += $pollSeconds
}

$deployment = "event-subscriptions-$app"
for ($attempt = 1; ; $attempt++) {
  Write-Host "Event Grid subscriptions: ARM deployment $deployment (attempt $attempt of 3)..."
  az deployment sub create --subscription $env:AZURE_SUBSCRIPTION_ID --location $env:AZURE_LOCATION `
    --name $deployment --template-file $template --output none `
    --parameters resourceGroupName=$($env:AZURE_RESOURCE_GROUP) acsResourceGroupName=$($env:ACS_RESOURCE_GROUP_NAME) `
    functionAppName=$app systemTopicName=$($env:ACS_SYSTEM_TOPIC_NAME) `
    topicName=$($env:EVENTGRID_TOPIC_NAME) storageAccountName=$($env:AZURE_STORAGE_ACCOUNT_NAME) `
    deadLetterContainerName=$($env:EVENTGRID_DEAD_LETTER_CONTAINER)
  if ($LASTEXITCODE -eq 0) {
    Write-Host "Event Grid subscriptions: sms-to-$app and whatsapp-to-$app are in place."
    exit 0
  }
  if ($attempt -ge 3) { Fail 'the deployment failed three times (its error is above).' }
  Write-Host "  failed; trying again in ${retrySeconds}s (new role assignments take minutes to apply)"
  Start-Sleep -Seconds $retrySeconds
}
