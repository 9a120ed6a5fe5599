// Key Vault holding every secret the portal reads (Container Apps reference them by URL with the
// managed identity; no secret is set as a plain environment variable). RBAC authorization, purge
// protection, public network access off and a private endpoint in the portal's network.

@description('Azure region of the vault.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the vault (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Principal id of the portal identity, granted Key Vault Secrets User on this vault.')
param identityPrincipalId string

@description('Subnet of the private endpoint.')
param privateEndpointSubnetId string

@description('Resource id of the private DNS zone for Key Vault.')
param privateDnsZoneId string

@description('Public network access to the vault; Disabled unless an operator must reach it from outside the network.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
    }
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource privateEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${vaultName}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'vault'
        properties: {
          privateLinkServiceId: vault.id
          groupIds: [
            'vault'
          ]
        }
      }
    ]
  }
}

resource dnsGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: privateEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vault'
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

@description('Name of the vault.')
output name string = vault.name

@description('URI of the vault, e.g. https://kv-name.vault.azure.net/ (secret references are built from it).')
output uri string = vault.properties.vaultUri
