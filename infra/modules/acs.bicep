// What this service needs on the EXISTING Azure Communication Services resource, deployed into
// that resource's own resource group: a role for the app's identity, the Event Grid system topic
// that carries the SMS events, and (by default) a delete lock.
//
// Why a lock: older azd versions run `azd down` by deleting every resource group the deployment
// touched, and this module touches the ACS resource group. The ACS resource owns the phone
// numbers being registered; losing it to a clean-up of a test environment would be expensive.
// A CanNotDelete lock makes any such delete fail instead (current azd skips resource groups it did
// not create, and vetoes locked ones). Set protectAcsResource to false to leave locks alone.
targetScope = 'resourceGroup'

import { roles } from '../roles.bicep'

@description('Name of the existing ACS resource in this resource group.')
param acsResourceName string

@description('Name of the Event Grid system topic of the ACS resource (one per resource).')
param systemTopicName string

@description('Principal id of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Put a CanNotDelete lock on the ACS resource.')
param protectAcsResource bool = true

@description('Tags put on the system topic (azd-env-name at least).')
param tags {
  *: string
}

// Contributor. ACS has no narrower built-in role for its data plane: with Entra ID, the SMS and
// Advanced Messaging APIs (capability probe, channel templates) authorize any principal holding
// Contributor (or Owner) on the resource. Scoped to this one resource, never the group.
@description('The one role that opens the ACS data plane to an Entra ID principal.')
var contributorRoleId = roles.contributor

resource acs 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: acsResourceName
}

resource appAcsContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acs.id, appPrincipalId, contributorRoleId)
  scope: acs
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', contributorRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource acsLock 'Microsoft.Authorization/locks@2020-05-01' = if (protectAcsResource) {
  name: 'do-not-delete-acs'
  scope: acs
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds the phone numbers registered for WhatsApp. Set by the whatsapp-acs-onboarding deployment so that removing an environment never removes this resource.'
  }
}

// ACS is a global resource, so its system topic is global too. A source can have only ONE system
// topic: if the ACS resource already has one (made in the portal, or by another environment of this
// service), pass its name and this PUT updates it in place (it gains a system-assigned identity,
// used only to write dead letters; its tags are replaced by these).
resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: acs.id
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

@description('The system topic, created or updated here.')
output systemTopicName string = systemTopic.name
@description('Its system-assigned identity, which writes dead letters.')
output systemTopicPrincipalId string = systemTopic.identity.principalId
