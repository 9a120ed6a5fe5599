// AcrPull for the portal identity on the registry holding the portal image. Deployed into the
// registry's resource group.

@description('Name of the existing container registry.')
param registryName string

@description('Principal id of the portal identity.')
param principalId string

var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Login server of the registry (e.g. name.azurecr.io or name.azurecr.us).')
output loginServer string = registry.properties.loginServer
