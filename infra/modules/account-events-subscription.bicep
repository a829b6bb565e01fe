// Event subscription: custom topic -> function `accountEvents`, for the WhatsApp.* account-change
// CloudEvents only (Registration.* events on the same topic are for client apps, not for us).
// Created only once the code is deployed (infra/event-subscriptions.bicep).
targetScope = 'resourceGroup'

param topicName string
param subscriptionName string

@description('Resource id of the function `accountEvents` (Microsoft.Web/sites/functions).')
param functionResourceId string

param deadLetterStorageAccountId string
param deadLetterContainerName string

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: topicName
}

resource accountEventsToFunction 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionResourceId
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
