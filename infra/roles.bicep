// Every Azure built-in role this deployment assigns, by name. A role definition id that does not
// exist fails the whole deployment (RoleDefinitionDoesNotExist), and a wrong but existing one grants
// the wrong rights silently, so ids live here only: test/infra/roles.test.ts checks each against
// test/fixtures/azure-built-in-roles.json, copied from Microsoft's "Azure built-in roles" page.
// Keys are the role names in camelCase ("Storage Blob Data Owner" -> storageBlobDataOwner).

@export()
@description('Built-in role definition ids, by role name in camelCase.')
var roles = {
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}
