// Virtual network, subnets and the private DNS zones the portal's private endpoints resolve through.
// Subnets: Container Apps environment (delegated, workload profiles), PostgreSQL flexible server
// (delegated, private access) and private endpoints (Key Vault, Redis).

@description('Azure region of the network.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the virtual network.')
param vnetName string

@description('Address space of the virtual network (CIDR).')
param addressPrefix string

@description('Subnet of the Container Apps environment (at least /27 for workload profiles).')
param appsSubnetPrefix string

@description('Subnet delegated to the PostgreSQL flexible server.')
param postgresSubnetPrefix string

@description('Subnet holding the private endpoints.')
param privateEndpointSubnetPrefix string

@description('Private DNS zone names for this cloud: keyVault, redis and postgres (see the .bicepparam files).')
param privateDnsZoneNames object

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'snet-apps'
        properties: {
          addressPrefix: appsSubnetPrefix
          delegations: [
            {
              name: 'containerApps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'snet-postgres'
        properties: {
          addressPrefix: postgresSubnetPrefix
          delegations: [
            {
              name: 'postgresFlexibleServers'
              properties: {
                serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers'
              }
            }
          ]
        }
      }
      {
        name: 'snet-private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for zone in items(privateDnsZoneNames): {
  name: zone.value
  location: 'global'
  tags: tags
}]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (zone, i) in items(privateDnsZoneNames): {
  parent: zones[i]
  name: '${vnetName}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

@description('Resource id of the virtual network.')
output vnetId string = vnet.id

@description('Resource id of the Container Apps environment subnet.')
output appsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, 'snet-apps')

@description('Resource id of the PostgreSQL delegated subnet.')
output postgresSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, 'snet-postgres')

@description('Resource id of the private endpoint subnet.')
output privateEndpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, 'snet-private-endpoints')

@description('Resource id of the Key Vault private DNS zone.')
output keyVaultDnsZoneId string = resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.keyVault)

@description('Resource id of the Redis private DNS zone.')
output redisDnsZoneId string = resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.redis)

@description('Resource id of the PostgreSQL private DNS zone.')
output postgresDnsZoneId string = resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.postgres)
