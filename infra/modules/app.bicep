// Everything of one environment that lives in its own resource group: the identity, storage,
// monitoring, Key Vault, the custom Event Grid topic, the Flex Consumption plan and the Function App.
// Nothing here holds a key or a connection string: every hop is Entra ID with the one
// user-assigned identity, and the four secrets the code needs sit in Key Vault.
targetScope = 'resourceGroup'

import { roles } from '../roles.bicep'

@description('Location of every resource in this module.')
param location string

@description('Tags put on every resource (azd-env-name at least).')
param tags {
  *: string
}

// uniqueString() is always 13 characters; saying so lets the compiler check every name built on it
// against its resource type's length limits (storage accounts: 3 to 24).
@minLength(13)
@maxLength(13)
@description('Suffix that makes the names of this environment unique: uniqueString() of subscription, environment and location.')
param resourceToken string

@description('Object id of the principal running the deployment (azd sets it); empty to skip its role.')
param deployerPrincipalId string = ''

@description('Endpoint of the existing Azure Communication Services resource, https://<name>.communication.azure.com/.')
param acsEndpoint string

@secure()
@description('Meta system-user access token; stored as a Key Vault secret only.')
param metaAccessToken string

@secure()
@description('Meta app secret; stored as a Key Vault secret only.')
param metaAppSecret string

@secure()
@description('Token Meta echoes in the webhook handshake; stored as a Key Vault secret only.')
param metaWebhookVerifyToken string

@secure()
@description('Secret the two-step PINs are derived from; stored as a Key Vault secret only.')
param registrationPinSecret string

@description('The Meta app\'s id (META_APP_ID), for the Embedded Signup code exchange; not a secret.')
param metaAppId string

@description('Application (client) id of the API\'s Entra ID app registration, which declares the app roles Registrations.Write and Registrations.Ops (README, "Deploy").')
param apiClientId string

@description('META_GRAPH_URL.')
param metaGraphUrl string

@description('META_GRAPH_VERSION.')
param metaGraphVersion string

@description('RECONCILE_SCHEDULE, NCRONTAB of the reconcile timer.')
param reconcileSchedule string

@description('RECONCILE_TIME_BUDGET_SECONDS.')
param reconcileTimeBudgetSeconds int

@description('Flex Consumption scale-out limit.')
param maximumInstanceCount int

@description('Flex Consumption instance memory size.')
param instanceMemoryMB int

@description('Resource names: a prefix for the type, then the resource token.')
var names = {
  identity: 'id-${resourceToken}'
  storage: 'st${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  appInsights: 'appi-${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  topic: 'evgt-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
}

@description('Flex Consumption reads the deployment package from this container (written by `azd deploy`).')
var deploymentContainerName = 'app-package'
@description('Events Event Grid gave up on (30 attempts over 24 h) land here instead of vanishing.')
var deadLetterContainerName = 'eventgrid-deadletter'

// Key Vault secret names. main.parameters.json reads two of them back by name
// (secretOrRandomPassword), so renaming one here means renaming it there too.
@description('Key Vault secret names, by the parameter each holds.')
var secretNames = {
  metaAccessToken: 'meta-access-token'
  metaAppSecret: 'meta-app-secret'
  metaWebhookVerifyToken: 'meta-webhook-verify-token'
  registrationPinSecret: 'registration-pin-secret'
}

// ---------------------------------------------------------------------------------------------
// Identity: the one principal the app uses for storage, Key Vault, Event Grid, ACS and telemetry.
// User-assigned (not system-assigned) so that its role assignments can be created before the
// Function App exists and the app starts with every permission already in place.
// ---------------------------------------------------------------------------------------------
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: names.identity
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------
// Storage: the Functions runtime (AzureWebJobsStorage), the registration tables, the deployment
// package and the Event Grid dead letters. Shared keys are off: Entra ID only.
// ---------------------------------------------------------------------------------------------
resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: names.storage
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Blob Data Owner: the Functions host keeps its keys and timer leases in blobs, and Flex
// Consumption reads the deployment package with this identity. Queue Data Contributor: the host's
// own bookkeeping. Table Data Contributor: the registration tables (REGISTRATION_STORAGE).
@description('The app identity\'s roles on the storage account.')
var appStorageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource appStorageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in appStorageRoles: {
  name: guid(storage.id, identity.id, roleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]

// ---------------------------------------------------------------------------------------------
// Monitoring: Application Insights on a Log Analytics workspace, local (key) auth disabled, so
// the app sends telemetry as its identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING below).
// ---------------------------------------------------------------------------------------------
resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: names.logAnalytics
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: names.appInsights
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

resource appInsightsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------
// Key Vault (RBAC mode) with the four secrets. The app settings reference them
// (@Microsoft.KeyVault(...)), resolved by the platform with the user-assigned identity.
// Soft delete is on (it cannot be turned off); purge protection is left off so that
// `azd down --purge` can really remove a test environment.
// ---------------------------------------------------------------------------------------------
resource keyVault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: names.keyVault
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource metaAccessTokenSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: secretNames.metaAccessToken
  properties: {
    value: metaAccessToken
    contentType: 'text/plain'
  }
}

resource metaAppSecretSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: secretNames.metaAppSecret
  properties: {
    value: metaAppSecret
    contentType: 'text/plain'
  }
}

resource metaWebhookVerifyTokenSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: secretNames.metaWebhookVerifyToken
  properties: {
    value: metaWebhookVerifyToken
    contentType: 'text/plain'
  }
}

resource registrationPinSecretSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: keyVault
  name: secretNames.registrationPinSecret
  properties: {
    value: registrationPinSecret
    contentType: 'text/plain'
  }
}

resource appKeyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The deployer reads secrets back: azd's secretOrRandomPassword (main.parameters.json) keeps the
// PIN secret and the webhook verify token stable across `azd provision` runs by reading them
// from this vault, and an operator needs the verify token to configure Meta's webhook.
// No principalType: the deployer may be a user or (in CI) a service principal.
resource deployerKeyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(keyVault.id, deployerPrincipalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: deployerPrincipalId
  }
}

// ---------------------------------------------------------------------------------------------
// Custom Event Grid topic (CloudEvents 1.0) for WhatsApp.* account changes published by the
// webhook function and the outgoing Registration.* events. Keys disabled: publishers use
// Entra ID (EventGrid Data Sender), so EVENTGRID_TOPIC_KEY stays unset in Azure.
// Its system-assigned identity only writes dead letters.
// ---------------------------------------------------------------------------------------------
resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: names.topic
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource appTopicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, identity.id, roles.eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Scoped to the dead-letter container only.
resource topicDeadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topic.id, roles.storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------
// Flex Consumption plan and the Function App (Node.js 22, v4 programming model).
// Flex rejects FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE
// and WEBSITE_NODE_DEFAULT_VERSION as app settings: runtime and package come from
// functionAppConfig instead.
// ---------------------------------------------------------------------------------------------
resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: names.plan
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

@description('Start of every Key Vault reference in the app settings; the secret name follows.')
var keyVaultReference = 'VaultName=${keyVault.name};SecretName='

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: names.functionApp
  location: location
  // azd finds the deployment target of service `api` (azure.yaml) by this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references are resolved with the user-assigned identity (the default would be a
    // system-assigned identity, which this app does not have). Set on the site, where Microsoft
    // documents it; the Web API also lists a siteConfig field of the same name.
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        // Functions runtime storage, identity-based (no connection string exists: shared keys are off).
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storage.name
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identity.properties.clientId
        }
        // DefaultAzureCredential in the code picks the user-assigned identity from this.
        {
          name: 'AZURE_CLIENT_ID'
          value: identity.properties.clientId
        }
        // Telemetry as the identity (Application Insights has local auth disabled).
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
        }
        // docs/design.md §7. A table endpoint URL (not a connection string): the code uses it with
        // DefaultAzureCredential.
        {
          name: 'REGISTRATION_STORAGE'
          value: 'https://${storage.name}.table.${environment().suffixes.storage}'
        }
        {
          name: 'META_GRAPH_URL'
          value: metaGraphUrl
        }
        {
          name: 'META_GRAPH_VERSION'
          value: metaGraphVersion
        }
        {
          name: 'META_APP_ID'
          value: metaAppId
        }
        {
          name: 'META_ACCESS_TOKEN'
          value: '@Microsoft.KeyVault(${keyVaultReference}${secretNames.metaAccessToken})'
        }
        {
          name: 'META_APP_SECRET'
          value: '@Microsoft.KeyVault(${keyVaultReference}${secretNames.metaAppSecret})'
        }
        {
          name: 'META_WEBHOOK_VERIFY_TOKEN'
          value: '@Microsoft.KeyVault(${keyVaultReference}${secretNames.metaWebhookVerifyToken})'
        }
        {
          name: 'REGISTRATION_PIN_SECRET'
          value: '@Microsoft.KeyVault(${keyVaultReference}${secretNames.registrationPinSecret})'
        }
        // ACS with the identity (no ACS_CONNECTION_STRING in Azure).
        {
          name: 'ACS_ENDPOINT'
          value: acsEndpoint
        }
        // Custom topic with the identity (no EVENTGRID_TOPIC_KEY in Azure).
        {
          name: 'EVENTGRID_TOPIC_ENDPOINT'
          value: topic.properties.endpoint
        }
        {
          name: 'RECONCILE_SCHEDULE'
          value: reconcileSchedule
        }
        {
          name: 'RECONCILE_TIME_BUDGET_SECONDS'
          value: string(reconcileTimeBudgetSeconds)
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
  // The app must start with its permissions and secrets in place: otherwise the first start
  // fails to reach storage or resolves the Key Vault references to nothing.
  dependsOn: [
    appStorageRoleAssignments
    appInsightsPublisher
    appKeyVaultSecretsUser
    appTopicSender
    deploymentContainer
    metaAccessTokenSecret
    metaAppSecretSecret
    metaWebhookVerifyTokenSecret
    registrationPinSecretSecret
  ]
}

// ---------------------------------------------------------------------------------------------
// App Service Authentication ("Easy Auth", docs/design.md §5.1): the platform validates the
// caller's Entra ID token for the API's app registration and answers 401 without one, before any
// function runs; it passes the caller on as X-MS-CLIENT-PRINCIPAL and sets WEBSITE_AUTH_ENABLED,
// which is what makes the app trust that header. Excluded, because they carry their own
// protection or none is needed: health and the OpenAPI document, Meta's webhook (its signature),
// Event Grid deliveries (the host's system key), the host's admin API (its master key), and the
// ops console's files, which hold no data (the page signs the browser in via /.auth/login/aad).
// Tokens are not stored: callers send a bearer token each time, the ops page keeps Easy Auth's
// session cookie.
// ---------------------------------------------------------------------------------------------
resource authSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: [
        '/api/health'
        '/api/openapi.json'
        '/api/meta/webhook'
        '/runtime/webhooks/eventgrid'
        '/admin/functions/*'
        '/api/ops'
        '/api/ops/*'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          // v1.0 access tokens carry the Application ID URI as audience, v2.0 ones the client id.
          allowedAudiences: [
            'api://${apiClientId}'
            apiClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

@description('Resource id of the app\'s user-assigned identity.')
output identityId string = identity.id
@description('Its principal (object) id, for role assignments.')
output identityPrincipalId string = identity.properties.principalId
@description('Its client id.')
output identityClientId string = identity.properties.clientId
@description('The storage account.')
output storageAccountName string = storage.name
@description('Its resource id.')
output storageAccountId string = storage.id
@description('Its dead-letter container.')
output deadLetterContainerName string = deadLetterContainer.name
@description('The Key Vault.')
output keyVaultName string = keyVault.name
@description('The custom Event Grid topic.')
output topicName string = topic.name
@description('Its endpoint (EVENTGRID_TOPIC_ENDPOINT).')
output topicEndpoint string = topic.properties.endpoint
@description('The Function App.')
output functionAppName string = functionApp.name
@description('Its resource id.')
output functionAppId string = functionApp.id
@description('Its default host name.')
output functionAppHostName string = functionApp.properties.defaultHostName
