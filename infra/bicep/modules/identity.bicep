// The portal's user-assigned managed identity: pulls the image, reads Key Vault secrets and calls
// Azure (Cost Management, API Management, Cosmos DB) through DefaultAzureCredential (AZURE_CLIENT_ID).

@description('Azure region of the identity.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the user-assigned managed identity.')
param identityName string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Principal (object) id of the identity, for role assignments.')
output principalId string = identity.properties.principalId

@description('Client id of the identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
output clientId string = identity.properties.clientId
