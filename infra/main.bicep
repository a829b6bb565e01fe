// WhatsApp Business registration service on Azure Functions Flex Consumption (docs/design.md §9).
//
// Deployed by `azd up` (see azure.yaml). What it creates, in resource group rg-<env> unless
// resourceGroupName says otherwise (modules/app.bicep):
//   - a user-assigned managed identity: the app's only credential;
//   - Storage (tables, Functions runtime, deployment package, Event Grid dead letters), shared keys off;
//   - Log Analytics + Application Insights (Entra ID ingestion);
//   - Key Vault (RBAC) with the Meta access token, app secret, webhook verify token and PIN secret;
//   - a custom Event Grid topic (CloudEvents 1.0, keys off) for WhatsApp.* and Registration.* events;
//   - a Flex Consumption plan (FC1) and the Function App (Node.js 22).
// And in the EXISTING Communication Services resource's group (modules/acs.bicep): a role for the
// identity on the ACS resource, the ACS Event Grid system topic, and a delete lock on ACS.
//
// The Event Grid subscriptions (ACS SMS events -> smsEvents, custom topic WhatsApp.* -> accountEvents)
// are NOT created here: an AzureFunction destination is checked against the function itself, and
// `smsEvents` / `accountEvents` exist only once the code is deployed and indexed. The postdeploy
// hook in azure.yaml (scripts/create-event-subscriptions.sh) deploys event-subscriptions.bicep once
// the host lists both functions. The AzureFunction destination needs no function key anywhere.
//
// Inputs azd asks for (or reads from `azd env set NAME value`): ACS_RESOURCE_NAME (and
// ACS_RESOURCE_GROUP when ACS is not in the environment's group), META_ACCESS_TOKEN,
// META_APP_SECRET, META_APP_ID and API_CLIENT_ID (the API's app registration, README "Deploy").
// The webhook verify token and the PIN secret are generated once and then read back from Key Vault
// on every provision (main.parameters.json), so they never change by accident: a new PIN secret
// would change every number's derived two-step PIN.
//
// After the first `azd up`:
//   - Meta app dashboard -> Webhooks: callback URL = output META_WEBHOOK_URL, verify token =
//     `az keyvault secret show --vault-name <AZURE_KEY_VAULT_NAME> -n meta-webhook-verify-token`.
//   - Client apps call API_BASE_URL with an Entra ID token for the API (Easy Auth) and a function
//     key (HTTP functions use authLevel "function").
//   - `azd down`: see the ACS lock note in modules/acs.bicep before running it.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds every resource name and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Location of the resources. Must be a region that offers Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create for this environment; default rg-<environmentName>.')
param resourceGroupName string = ''

@minLength(1)
@description('Name of the EXISTING Azure Communication Services resource whose numbers are registered.')
param acsResourceName string

@description('Resource group of the ACS resource; default: the environment\'s resource group.')
param acsResourceGroupName string = ''

@description('Name of the ACS resource\'s Event Grid system topic. A resource can have only one: give the existing one\'s name if it already has one. Default <acsResourceName>-events.')
param acsSystemTopicName string = ''

@description('Put a CanNotDelete lock on the ACS resource (see modules/acs.bicep).')
param protectAcsResource bool = true

@description('Object id of the principal running the deployment (azd passes AZURE_PRINCIPAL_ID); it gets read access to the Key Vault secrets.')
param principalId string = ''

@secure()
@minLength(1)
@description('Meta system-user access token (META_ACCESS_TOKEN).')
param metaAccessToken string

@secure()
@minLength(1)
@description('Meta app secret, verifies X-Hub-Signature-256 (META_APP_SECRET).')
param metaAppSecret string

@secure()
@minLength(1)
@description('Token Meta echoes in the webhook handshake (META_WEBHOOK_VERIFY_TOKEN). azd keeps it stable; this default only serves plain `az deployment` runs.')
param metaWebhookVerifyToken string = newGuid()

// newGuid() may only appear in a parameter default, hence the default here. azd never uses it:
// main.parameters.json passes the value already in Key Vault, or the first time a new random one
// (azd's secretOrRandomPassword: 15 random letters and digits, about 89 bits, far more than the
// 6-digit PINs derived from it can leak). Deploying this template WITHOUT passing the parameter
// replaces the secret, and with it every number's derived two-step PIN.
@secure()
@minLength(12)
@description('Secret from which each number\'s two-step PIN is derived (REGISTRATION_PIN_SECRET). Keep it stable.')
param registrationPinSecret string = replace('${newGuid()}${newGuid()}', '-', '')

@minLength(1)
@description('The Meta app\'s id (META_APP_ID), for the Embedded Signup code exchange.')
param metaAppId string

@minLength(36)
@maxLength(36)
@description('Application (client) id of the API\'s Entra ID app registration (API_CLIENT_ID); Easy Auth accepts tokens for it only. See README, "Deploy".')
param apiClientId string

@description('Graph API base URL (META_GRAPH_URL).')
param metaGraphUrl string = 'https://graph.facebook.com'

@description('Graph API version (META_GRAPH_VERSION).')
param metaGraphVersion string = 'v25.0'

@description('NCRONTAB (6 fields) of the reconcile timer (RECONCILE_SCHEDULE).')
param reconcileSchedule string = '0 */15 * * * *'

@minValue(5)
@maxValue(3600)
@description('Seconds one reconcile run may take before it stops and leaves the rest to the next run; below functionTimeout in host.json.')
param reconcileTimeBudgetSeconds int = 240

@minValue(40)
@maxValue(1000)
@description('Flex Consumption scale-out limit.')
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Flex Consumption instance memory size.')
param instanceMemoryMB int = 2048

@description('Suffix of every resource name: stable for one subscription, environment and location.')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
@description('Tags put on every resource; azd finds the environment\'s resources by azd-env-name.')
var tags = {
  'azd-env-name': environmentName
}
@description('The environment\'s resource group.')
var rgName = empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
@description('The ACS resource\'s group.')
var acsRgName = empty(acsResourceGroupName) ? rgName : acsResourceGroupName
@description('The ACS resource\'s Event Grid system topic: the one given, or <acsResourceName>-events.')
var systemTopicName = empty(acsSystemTopicName) ? '${acsResourceName}-events' : acsSystemTopicName

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: rgName
  location: location
  tags: tags
}

// The existing ACS resource, read for its endpoint (hostName, e.g. <name>.communication.azure.com).
resource acs 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: acsResourceName
  scope: resourceGroup(acsRgName)
}

// No explicit module names: Bicep derives them from this deployment's name, which azd makes
// unique per environment and run.
module app 'modules/app.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    deployerPrincipalId: principalId
    acsEndpoint: 'https://${acs.properties.hostName}/'
    metaAccessToken: metaAccessToken
    metaAppSecret: metaAppSecret
    metaAppId: metaAppId
    apiClientId: apiClientId
    metaWebhookVerifyToken: metaWebhookVerifyToken
    registrationPinSecret: registrationPinSecret
    metaGraphUrl: metaGraphUrl
    metaGraphVersion: metaGraphVersion
    reconcileSchedule: reconcileSchedule
    reconcileTimeBudgetSeconds: reconcileTimeBudgetSeconds
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module acsAccess 'modules/acs.bicep' = {
  scope: resourceGroup(acsRgName)
  params: {
    acsResourceName: acsResourceName
    systemTopicName: systemTopicName
    appPrincipalId: app.outputs.identityPrincipalId
    protectAcsResource: protectAcsResource
    tags: tags
  }
}

module systemTopicDeadLetterAccess 'modules/dead-letter-access.bicep' = {
  scope: rg
  params: {
    storageAccountName: app.outputs.storageAccountName
    containerName: app.outputs.deadLetterContainerName
    principalId: acsAccess.outputs.systemTopicPrincipalId
  }
}

// Outputs become azd environment values (.azure/<env>/.env).
@description('Location of the resources.')
output AZURE_LOCATION string = location
@description('Entra ID tenant of the subscription (the API\'s app registration lives there).')
output AZURE_TENANT_ID string = tenant().tenantId
@description('The environment\'s resource group.')
output AZURE_RESOURCE_GROUP string = rg.name
@description('The Function App; azd deploys service api to it, the postdeploy hook lists its functions.')
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
@description('Key Vault with the four secrets; main.parameters.json reads two back from it.')
output AZURE_KEY_VAULT_NAME string = app.outputs.keyVaultName
@description('Storage account: tables, runtime, deployment package, dead letters.')
output AZURE_STORAGE_ACCOUNT_NAME string = app.outputs.storageAccountName
@description('Client id of the app\'s user-assigned identity.')
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
@description('Base URL of the HTTP API.')
output API_BASE_URL string = 'https://${app.outputs.functionAppHostName}/api'
@description('Callback URL to register in the Meta app dashboard (Webhooks).')
output META_WEBHOOK_URL string = 'https://${app.outputs.functionAppHostName}/api/meta/webhook'
@description('The custom Event Grid topic (WhatsApp.* and Registration.* events).')
output EVENTGRID_TOPIC_NAME string = app.outputs.topicName
@description('Its endpoint, where client apps subscribe to Registration.* events.')
output EVENTGRID_TOPIC_ENDPOINT string = app.outputs.topicEndpoint
@description('Endpoint of the ACS resource.')
output ACS_ENDPOINT string = 'https://${acs.properties.hostName}/'
@description('The ACS resource\'s Event Grid system topic.')
output ACS_SYSTEM_TOPIC_NAME string = acsAccess.outputs.systemTopicName
// Read by the postdeploy hook (scripts/create-event-subscriptions.sh).
@description('Resource group of the ACS resource and its system topic.')
output ACS_RESOURCE_GROUP_NAME string = acsRgName
@description('Blob container for events Event Grid gives up on.')
output EVENTGRID_DEAD_LETTER_CONTAINER string = app.outputs.deadLetterContainerName
