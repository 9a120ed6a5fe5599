// Cost Management Reader for the portal identity on one subscription (a cost scope the chargeback
// ingest queries). Deployed once per subscription in costScopeSubscriptionIds.
targetScope = 'subscription'

@description('Principal id of the portal identity.')
param principalId string

var costManagementReaderRoleId = '72fafb9e-0641-4937-9268-a91bfd8191a3'

resource costReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, costManagementReaderRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', costManagementReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Loom portal: read cost data for chargeback'
  }
}

@description('Resource id of the role assignment.')
output roleAssignmentId string = costReader.id
