// API Management Service Contributor for the portal identity on the Loom APIM instance only
// (publishing products, APIs, policies and subscriptions). Deployed into the instance's resource group.

@description('Name of the existing API Management instance.')
param apimName string

@description('Principal id of the portal identity.')
param principalId string

var apimServiceContributorRoleId = '312a565d-c81f-4fd8-895a-4e21e48d571c'

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = {
  name: apimName
}

resource apimContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(apim.id, principalId, apimServiceContributorRoleId)
  scope: apim
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', apimServiceContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Loom portal: publish data products to API Management'
  }
}

@description('Resource id of the role assignment.')
output roleAssignmentId string = apimContributor.id
