// Cosmos DB Built-in Data Contributor (a data-plane SQL role, not an Azure RBAC role) for the portal
// identity on the Loom Cosmos DB account. Deployed into the account's resource group.

@description('Name of the existing Cosmos DB account.')
param accountName string

@description('Principal id of the portal identity.')
param principalId string

// Built-in data-plane role definition "Cosmos DB Built-in Data Contributor".
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: accountName
}

resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: account
  name: guid(account.id, principalId, dataContributorRoleId)
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'
    principalId: principalId
    scope: account.id
  }
}

@description('Resource id of the SQL role assignment.')
output roleAssignmentId string = dataContributor.id
