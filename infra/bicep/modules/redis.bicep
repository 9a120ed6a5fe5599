// Azure Cache for Redis: Django cache and Celery broker. TLS only (port 6380), public network access
// off, reached through a private endpoint. The access key goes to Key Vault (secrets.bicep).

@description('Azure region of the cache.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the cache (globally unique).')
param cacheName string

@description('SKU of the cache: Standard (replicated) or Premium (zones, persistence).')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param skuName string

@description('Size within the SKU family (C0-C6 for Basic/Standard, P1-P5 for Premium).')
@minValue(0)
@maxValue(6)
param capacity int

@description('Availability zones of a Premium cache (empty for none).')
param zones array

@description('Subnet of the private endpoint.')
param privateEndpointSubnetId string

@description('Resource id of the private DNS zone for Redis.')
param privateDnsZoneId string

resource cache 'Microsoft.Cache/redis@2024-11-01' = {
  name: cacheName
  location: location
  tags: tags
  zones: skuName == 'Premium' && !empty(zones) ? zones : null
  properties: {
    sku: {
      name: skuName
      family: skuName == 'Premium' ? 'P' : 'C'
      capacity: capacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Disabled'
    redisVersion: '6'
    redisConfiguration: {
      'maxmemory-policy': 'noeviction'
    }
  }
}

resource privateEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${cacheName}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'redisCache'
        properties: {
          privateLinkServiceId: cache.id
          groupIds: [
            'redisCache'
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
        name: 'redis'
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

@description('Name of the cache (secrets.bicep reads its key).')
output name string = cache.name

@description('Host name of the cache.')
output hostName string = cache.properties.hostName

@description('TLS port of the cache.')
output sslPort int = cache.properties.sslPort
