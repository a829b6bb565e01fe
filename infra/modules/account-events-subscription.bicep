// Event subscription: custom topic -> function `accountEvents` (functionName), for the WhatsApp.* account-change
// CloudEvents only (Registration.* events on the same topic are for client apps, not for us).
// Created only once the code is deployed (infra/event-subscriptions.bicep).
targetScope = 'resourceGroup'

@description('The custom topic for WhatsApp.* and Registration.* events, in this resource group.')
param topicName string

@description('Event subscription name; includes the function app name.')
param subscriptionName string

@description('Name of the Function App, in this resource group.')
param functionAppName string

@description('The Event Grid function of the app that receives the WhatsApp.* events.')
param functionName string

@description('Resource id of the storage account that receives the events Event Grid gives up on.')
param deadLetterStorageAccountId string

@description('Its dead-letter blob container.')
param deadLetterContainerName string

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: topicName
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

// The destination, by its resource id (…/sites/<app>/functions/<name>): Event Grid checks that it exists.
resource targetFunction 'Microsoft.Web/sites/functions@2025-03-01' existing = {
  parent: functionApp
  name: functionName
}

resource accountEventsToFunction 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: targetFunction.id
        maxEventsPerBatch: 10
        preferredBatchSizeInKilobytes: 64
      }
    }
    // The topic takes CloudEvents 1.0 in, so it must deliver CloudEvents 1.0 too.
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: {
      // includedEventTypes matches whole type names only; a prefix needs an advanced filter.
      // For CloudEvents the event type's key is `type`.
      advancedFilters: [
        {
          operatorType: 'StringBeginsWith'
          key: 'type'
          values: [
            'WhatsApp.'
          ]
        }
      ]
    }
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
