// Azure Database for PostgreSQL flexible server with private access (VNet integration through a
// delegated subnet and a private DNS zone), optional zone-redundant high availability, backups with
// configurable retention and geo-redundancy, and the portal's database.

@description('Azure region of the server.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the server (globally unique).')
param serverName string

@description('Administrator login (the portal connects as this role; see docs/operate.md for a least-privilege role).')
param administratorLogin string

@description('Administrator password; written to Key Vault inside DATABASE_URL, never output.')
@secure()
param administratorPassword string

@description('Name of the portal database.')
param databaseName string

@description('Compute SKU, e.g. Standard_D2ds_v5.')
param skuName string

@description('Compute tier matching the SKU.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string

@description('Storage size in GiB.')
param storageSizeGB int

@description('PostgreSQL major version.')
@allowed([
  '15'
  '16'
])
param version string

@description('Zone-redundant high availability (a standby in another zone); not available on Burstable.')
param zoneRedundantHa bool

@description('Days of point-in-time restore (7-35).')
@minValue(7)
@maxValue(35)
param backupRetentionDays int

@description('Geo-redundant backups (restore into the paired region); fixed at creation.')
param geoRedundantBackup bool

@description('Resource id of the delegated subnet.')
param delegatedSubnetId string

@description('Resource id of the private DNS zone the server registers in.')
param privateDnsZoneId string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: serverName
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: zoneRedundantHa ? 'ZoneRedundant' : 'Disabled'
    }
    network: {
      delegatedSubnetResourceId: delegatedSubnetId
      privateDnsZoneArmResourceId: privateDnsZoneId
      publicNetworkAccess: 'Disabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

resource requireTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'require_secure_transport'
  properties: {
    value: 'on'
    source: 'user-override'
  }
}

@description('Name of the server.')
output name string = server.name

@description('Fully qualified domain name of the server (resolves privately).')
output fqdn string = server.properties.fullyQualifiedDomainName

@description('Name of the portal database.')
output databaseName string = database.name
