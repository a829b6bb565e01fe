// The two Event Grid subscriptions, deployed by the postdeploy hook (scripts/create-event-subscriptions.sh)
// once the Functions host lists `smsEvents` and `accountEvents`: an AzureFunction destination is
// checked against the function when the subscription is created, so they cannot be part of
// main.bicep, which runs before the code exists. Deploying it again changes nothing.
//   - ACS system topic -> smsEvents: SMSReceived and SMSDeliveryReportReceived (ACS resource group);
//   - custom topic -> accountEvents: the WhatsApp.* account-change events (environment's group).
// Every value comes from main.bicep's outputs (azd environment values).
targetScope = 'subscription'

@description('The environment\'s resource group (AZURE_RESOURCE_GROUP).')
param resourceGroupName string

@description('Resource group of the ACS resource and its system topic (ACS_RESOURCE_GROUP_NAME).')
param acsResourceGroupName string

@description('Function App name (AZURE_FUNCTION_APP_NAME).')
param functionAppName string

@description('The ACS resource\'s Event Grid system topic (ACS_SYSTEM_TOPIC_NAME).')
param systemTopicName string

@description('The custom topic for WhatsApp.* and Registration.* events (EVENTGRID_TOPIC_NAME).')
param topicName string

@description('Storage account that receives dead letters (AZURE_STORAGE_ACCOUNT_NAME).')
param storageAccountName string

@description('Its dead-letter container (EVENTGRID_DEAD_LETTER_CONTAINER).')
param deadLetterContainerName string

@description('The dead-letter storage account, in the environment\'s group.')
var storageAccountId = resourceId(subscription().subscriptionId, resourceGroupName, 'Microsoft.Storage/storageAccounts', storageAccountName)

// No explicit module names: Bicep derives them from this deployment's name, which the hook makes
// unique per Function App (event-subscriptions-<app>), so environments sharing the ACS resource
// group never overwrite each other's deployment records.
module smsEvents 'modules/sms-events-subscription.bicep' = {
  scope: resourceGroup(acsResourceGroupName)
  params: {
    systemTopicName: systemTopicName
    // Includes the app's name so that several environments can share one ACS resource.
    subscriptionName: 'sms-to-${functionAppName}'
    functionAppResourceGroupName: resourceGroupName
    functionAppName: functionAppName
    // Function names are a contract (docs/design.md §6); test/infra checks them against the code.
    functionName: 'smsEvents'
    deadLetterStorageAccountId: storageAccountId
    deadLetterContainerName: deadLetterContainerName
  }
}

module accountEvents 'modules/account-events-subscription.bicep' = {
  scope: resourceGroup(resourceGroupName)
  params: {
    topicName: topicName
    subscriptionName: 'whatsapp-to-${functionAppName}'
    functionAppName: functionAppName
    functionName: 'accountEvents'
    deadLetterStorageAccountId: storageAccountId
    deadLetterContainerName: deadLetterContainerName
  }
}
