// Event subscription: ACS system topic -> function `smsEvents` (functionName), for the two SMS event types.
// Deployed into the ACS resource group (where the system topic is), and only once the code is
// deployed: an AzureFunction destination is validated against the function, which exists only
// after `azd deploy` (infra/event-subscriptions.bicep).
targetScope = 'resourceGroup'

@description('The ACS resource\'s Event Grid system topic, in this resource group.')
param systemTopicName string

@description('Event subscription name; includes the function app name so that several environments can share one ACS resource.')
param subscriptionName string

@description('Resource group of the Function App (the environment\'s group, not this one).')
param functionAppResourceGroupName string

@description('Name of the Function App.')
param functionAppName string

@description('The Event Grid function of the app that receives the SMS events.')
param functionName string

@description('Resource id of the storage account that receives the events Event Grid gives up on.')
param deadLetterStorageAccountId string

@description('Its dead-letter blob container.')
param deadLetterContainerName string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
  scope: resourceGroup(functionAppResourceGroupName)
}

// The destination, by its resource id (…/sites/<app>/functions/<name>): Event Grid checks that it exists.
resource targetFunction 'Microsoft.Web/sites/functions@2025-03-01' existing = {
  parent: functionApp
  name: functionName
}

resource smsToFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    // AzureFunction destination: Event Grid fetches the function's key itself, so no key passes
    // through this template, a hook or an app setting.
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: targetFunction.id
        maxEventsPerBatch: 10
        preferredBatchSizeInKilobytes: 64
      }
    }
    // System topics publish in the Event Grid schema; the function accepts both schemas.
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.SMSReceived'
        'Microsoft.Communication.SMSDeliveryReportReceived'
      ]
    }
    // Event Grid's own defaults, written out: a verification code is useless after a day anyway.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}
