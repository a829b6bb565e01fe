// Lets one Event Grid topic identity write dead letters into the environment's dead-letter
// container (Storage Blob Data Contributor on that container only). Used for the ACS system topic,
// whose identity is created in another resource group (modules/acs.bicep).
targetScope = 'resourceGroup'

import { roles } from '../roles.bicep'

@description('The environment\'s storage account.')
param storageAccountName string
@description('Its dead-letter container.')
param containerName string

@description('Principal id of the topic\'s system-assigned identity.')
param principalId string

@description('Write access to blobs, granted on the container only.')
var storageBlobDataContributor = roles.storageBlobDataContributor

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' existing = {
  parent: storage
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = {
  parent: blobService
  name: containerName
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, principalId, storageBlobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
