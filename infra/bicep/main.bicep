// Loom Portal on Azure: one resource group holding the network, data tier, Key Vault, monitoring and
// the Container Apps that run the portal (web, worker, beat) plus the migration job.
//
// Naming: <abbreviation>-<workloadName>-<environmentName>[-<suffix>], lower case; <suffix> is a
// stable hash of the resource group for names that must be globally unique (Key Vault, Redis,
// PostgreSQL). Abbreviations follow the Cloud Adoption Framework (vnet, log, appi, id, kv, redis,
// psql, cae, ca, caj).
//
// Boundaries: commercial.bicepparam (AzureCloud), gcc-high.bicepparam (AzureUSGovernment) and
// il5.bicepparam (AzureUSGovernment; AKS, which IL5 deployments usually require, is out of scope:
// see that file and docs/deploy.md). Deploy with:
//   az deployment group create -g <rg> --template-file main.bicep --parameters commercial.bicepparam
targetScope = 'resourceGroup'

// ---- Naming and placement ------------------------------------------------------------------------

@description('Azure region for every resource; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Short workload name used in every resource name.')
@minLength(2)
@maxLength(8)
param workloadName string = 'loom'

@description('Short environment name used in every resource name, e.g. prod, stage, dev.')
@minLength(2)
@maxLength(6)
param environmentName string

@description('Cloud the portal runs in; selects login, management and private DNS endpoints.')
@allowed([
  'AzureCloud'
  'AzureUSGovernment'
])
param azureCloud string

@description('Tags applied to every resource, merged with workload/environment tags.')
param tags object = {}

// ---- Image -----------------------------------------------------------------------------------------

@description('Portal image reference in the registry, e.g. loom-portal:1.4.0 (built from the repository Dockerfile).')
param imageTag string

@description('Name of the existing Azure Container Registry holding the image; the identity gets AcrPull on it.')
param containerRegistryName string

@description('Resource group of the registry; defaults to this resource group.')
param containerRegistryResourceGroup string = resourceGroup().name

// ---- Network -----------------------------------------------------------------------------------------

@description('Address space of the portal virtual network.')
param vnetAddressPrefix string = '10.60.0.0/16'

@description('Container Apps environment subnet (/23 or larger recommended).')
param appsSubnetPrefix string = '10.60.0.0/23'

@description('PostgreSQL delegated subnet.')
param postgresSubnetPrefix string = '10.60.2.0/28'

@description('Private endpoint subnet.')
param privateEndpointSubnetPrefix string = '10.60.3.0/27'

@description('True (default): the Container Apps environment has no public IP; publish the portal through your own gateway.')
param internalEnvironment bool = true

@description('Key Vault public network access; Disabled by default (secrets are reached through the private endpoint).')
@allowed([
  'Enabled'
  'Disabled'
])
param keyVaultPublicNetworkAccess string = 'Disabled'

@description('Host name users reach the portal on through the gateway (added to ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS); empty for none.')
param customHostName string = ''

// ---- Compute -----------------------------------------------------------------------------------------

@description('Workload profile of the apps: Consumption, or a dedicated profile type (D4, D8, E4 ...) for isolated compute.')
param workloadProfileType string = 'Consumption'

@description('Spread the environment across availability zones.')
param zoneRedundant bool = false

@description('Web replicas (min, max).')
param webScale object = {
  min: 2
  max: 6
}

@description('Celery worker replicas (min, max); the queue-length rule scales between them.')
param workerScale object = {
  min: 1
  max: 6
}

@description('Gunicorn worker processes per web replica (WEB_CONCURRENCY).')
param webConcurrency int = 3

@description('Celery worker processes per worker replica (CELERY_WORKER_CONCURRENCY).')
param workerConcurrency int = 4

@description('CPU and memory of each process.')
param appResources object = {
  web: {
    cpu: '1.0'
    memory: '2Gi'
  }
  worker: {
    cpu: '1.0'
    memory: '2Gi'
  }
  beat: {
    cpu: '0.25'
    memory: '0.5Gi'
  }
}

@description('Celery queue the portal publishes to and the worker consumes.')
param celeryQueue string = 'celery'

// ---- PostgreSQL --------------------------------------------------------------------------------------

@description('PostgreSQL administrator login.')
param postgresAdministratorLogin string = 'loomadmin'

@description('PostgreSQL administrator password (stored only in Key Vault, inside DATABASE_URL).')
@secure()
param postgresAdministratorPassword string

@description('PostgreSQL compute SKU.')
param postgresSkuName string = 'Standard_D2ds_v5'

@description('PostgreSQL compute tier matching the SKU.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'GeneralPurpose'

@description('PostgreSQL storage in GiB (grows automatically).')
param postgresStorageSizeGB int = 128

@description('PostgreSQL major version.')
@allowed([
  '15'
  '16'
])
param postgresVersion string = '16'

@description('Zone-redundant high availability for PostgreSQL (standby in another zone).')
param postgresZoneRedundantHa bool = false

@description('PostgreSQL point-in-time restore window in days.')
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 14

@description('Geo-redundant PostgreSQL backups (cannot be changed after creation).')
param postgresGeoRedundantBackup bool = false

// ---- Redis ---------------------------------------------------------------------------------------------

@description('Azure Cache for Redis SKU.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param redisSkuName string = 'Standard'

@description('Azure Cache for Redis size within the SKU family.')
param redisCapacity int = 1

@description('Availability zones of a Premium cache, e.g. [\'1\', \'2\']; empty for none.')
param redisZones array = []

// ---- Monitoring ------------------------------------------------------------------------------------------

@description('Days Log Analytics keeps logs.')
param logRetentionDays int = 90

@description('Portal log level (LOG_LEVEL).')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

// ---- Sign-in and secrets -----------------------------------------------------------------------------------

@description('Entra ID directory (tenant) id users sign in with; defaults to the deploying tenant.')
param entraTenantId string = tenant().tenantId

@description('Entra tenant ids whose users may sign in (a portal tenant is created on first sign-in).')
param entraAllowedTenantIds array = [
  tenant().tenantId
]

@description('Application (client) id of the portal\'s Entra ID app registration.')
param oidcClientId string

@description('Client secret of the Entra ID app registration.')
@secure()
param oidcClientSecret string

@description('Django SECRET_KEY: at least 50 random characters.')
@secure()
param djangoSecretKey string

@description('Bearer token Prometheus must send to /metrics (at least 32 characters).')
@secure()
param metricsToken string

@description('SMTP relay host for notification e-mail; empty disables sending.')
param emailHost string = ''

@description('SMTP port.')
param emailPort int = 587

@description('SMTP user; empty when the relay needs no login.')
param emailHostUser string = ''

@description('SMTP password (Key Vault); empty when the relay needs none.')
@secure()
param emailHostPassword string = ''

@description('Serving databases whose rows the data API returns under row-level security, as name=postgres://owner:password@host:5432/db pairs separated by commas (Key Vault); empty: no live engine.')
@secure()
param servingDatabases string = ''

@description('Use STARTTLS to the relay.')
param emailUseTls bool = true

@description('From address of portal e-mail.')
param defaultFromEmail string = 'loom-portal@localhost'

// ---- What the identity may reach -----------------------------------------------------------------------

@description('Subscription ids whose costs the portal ingests; the identity gets Cost Management Reader on each. Defaults to this subscription.')
param costScopeSubscriptionIds array = [
  subscription().subscriptionId
]

@description('Resource id of the Loom API Management instance; the identity gets API Management Service Contributor on it. Empty to skip.')
param apimResourceId string = ''

@description('Gateway URL of that API Management instance, shown in the developer portal\'s snippets; empty: https://<name>.azure-api.net (.azure-api.us in AzureUSGovernment).')
param apimGatewayUrl string = ''

@description('Resource id of the Loom Cosmos DB account; the identity gets Cosmos DB Built-in Data Contributor on it. Empty to skip.')
param cosmosAccountResourceId string = ''

@description('Name of the Loom Console database in that Cosmos DB account (its container marketplace-listings receives the published products).')
param cosmosDatabaseName string = 'loom'

// ---- Names ----------------------------------------------------------------------------------------------------

var suffix = take(uniqueString(resourceGroup().id, workloadName, environmentName), 6)
var baseName = '${workloadName}-${environmentName}'
var names = {
  vnet: 'vnet-${baseName}'
  workspace: 'log-${baseName}'
  appInsights: 'appi-${baseName}'
  identity: 'id-${baseName}'
  keyVault: take('kv-${baseName}-${suffix}', 24)
  redis: 'redis-${baseName}-${suffix}'
  postgres: 'psql-${baseName}-${suffix}'
  environment: 'cae-${baseName}'
  web: 'ca-${baseName}-web'
  worker: 'ca-${baseName}-worker'
  beat: 'ca-${baseName}-beat'
  migrationJob: 'caj-${baseName}-migrate'
}
var allTags = union(tags, {
  workload: workloadName
  environment: environmentName
})

// Private DNS zones per cloud (Azure Private Link DNS zone values).
var cloudDns = {
  AzureCloud: {
    keyVault: 'privatelink.vaultcore.azure.net'
    redis: 'privatelink.redis.cache.windows.net'
    postgres: '${names.postgres}.private.postgres.database.azure.com'
  }
  AzureUSGovernment: {
    keyVault: 'privatelink.vaultcore.usgovcloudapi.net'
    redis: 'privatelink.redis.cache.usgovcloudapi.net'
    postgres: '${names.postgres}.private.postgres.database.usgovcloudapi.net'
  }
}

// ---- Foundation ---------------------------------------------------------------------------------------------------

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    tags: allTags
    vnetName: names.vnet
    addressPrefix: vnetAddressPrefix
    appsSubnetPrefix: appsSubnetPrefix
    postgresSubnetPrefix: postgresSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    privateDnsZoneNames: cloudDns[azureCloud]
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    tags: allTags
    identityName: names.identity
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    tags: allTags
    vaultName: names.keyVault
    identityPrincipalId: identity.outputs.principalId
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneId: network.outputs.keyVaultDnsZoneId
    publicNetworkAccess: keyVaultPublicNetworkAccess
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    location: location
    tags: allTags
    serverName: names.postgres
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
    databaseName: 'loom'
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
    version: postgresVersion
    zoneRedundantHa: postgresZoneRedundantHa
    backupRetentionDays: postgresBackupRetentionDays
    geoRedundantBackup: postgresGeoRedundantBackup
    delegatedSubnetId: network.outputs.postgresSubnetId
    privateDnsZoneId: network.outputs.postgresDnsZoneId
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    location: location
    tags: allTags
    cacheName: names.redis
    skuName: redisSkuName
    capacity: redisCapacity
    zones: redisZones
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneId: network.outputs.redisDnsZoneId
  }
}

module secrets 'modules/secrets.bicep' = {
  name: 'secrets'
  params: {
    vaultName: keyVault.outputs.name
    djangoSecretKey: djangoSecretKey
    postgresHost: postgres.outputs.fqdn
    postgresDatabase: postgres.outputs.databaseName
    postgresLogin: postgresAdministratorLogin
    postgresPassword: postgresAdministratorPassword
    redisName: redis.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    oidcClientSecret: oidcClientSecret
    metricsToken: metricsToken
    emailHostPassword: emailHostPassword
    servingDatabases: servingDatabases
  }
}

// ---- What the identity may do ------------------------------------------------------------------------------------

module acrPull 'modules/roleAcrPull.bicep' = {
  name: 'role-acr-pull'
  scope: resourceGroup(containerRegistryResourceGroup)
  params: {
    registryName: containerRegistryName
    principalId: identity.outputs.principalId
  }
}

module costReaders 'modules/roleCostManagementReader.bicep' = [for subscriptionId in costScopeSubscriptionIds: {
  name: 'role-cost-reader-${subscriptionId}'
  scope: subscription(subscriptionId)
  params: {
    principalId: identity.outputs.principalId
  }
}]

module apimContributor 'modules/roleApimContributor.bicep' = if (!empty(apimResourceId)) {
  name: 'role-apim-contributor'
  scope: resourceGroup(split(apimResourceId, '/')[2], split(apimResourceId, '/')[4])
  params: {
    apimName: last(split(apimResourceId, '/'))
    principalId: identity.outputs.principalId
  }
}

module cosmosDataContributor 'modules/roleCosmosDataContributor.bicep' = if (!empty(cosmosAccountResourceId)) {
  name: 'role-cosmos-data-contributor'
  scope: resourceGroup(split(cosmosAccountResourceId, '/')[2], split(cosmosAccountResourceId, '/')[4])
  params: {
    accountName: last(split(cosmosAccountResourceId, '/'))
    principalId: identity.outputs.principalId
  }
}

// ---- The portal ---------------------------------------------------------------------------------------------------

module containerAppsEnvironment 'modules/containerAppsEnvironment.bicep' = {
  name: 'containerAppsEnvironment'
  params: {
    location: location
    tags: allTags
    environmentName: names.environment
    workspaceName: monitoring.outputs.workspaceName
    infrastructureSubnetId: network.outputs.appsSubnetId
    internal: internalEnvironment
    zoneRedundant: zoneRedundant
    workloadProfileType: workloadProfileType
  }
}

var webHost = '${names.web}.${containerAppsEnvironment.outputs.defaultDomain}'
var hosts = empty(customHostName) ? [webHost] : [webHost, customHostName]

// Every secret is a Key Vault reference resolved with the identity (none is a plain value). Names and
// URIs are known before the deployment starts: the vault URI follows from its name and the cloud.
var secretNames = concat(
  [
    'django-secret-key'
    'database-url'
    'redis-url'
    'redis-password'
    'oidc-client-secret'
    'metrics-token'
    'applicationinsights-connection-string'
  ],
  empty(emailHostPassword) ? [] : [
    'email-host-password'
  ],
  empty(servingDatabases) ? [] : [
    'serving-databases'
  ]
)
var vaultUri = 'https://${names.keyVault}${environment().suffixes.keyvaultDns}/'
var identityId = resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', names.identity)
var appSecrets = [for name in secretNames: {
  name: name
  keyVaultUrl: '${vaultUri}secrets/${name}'
  identity: identityId
}]

// The environment every process reads (loom_portal/settings.py; tests/infra checks both ways).
var appEnvironment = concat(
  [
    { name: 'LOOM_ENV', value: 'production' }
    { name: 'SECRET_KEY', secretRef: 'django-secret-key' }
    { name: 'ALLOWED_HOSTS', value: join(concat(hosts, ['localhost', '127.0.0.1']), ',') }
    { name: 'CSRF_TRUSTED_ORIGINS', value: join(map(hosts, host => 'https://${host}'), ',') }
    { name: 'DATABASE_URL', secretRef: 'database-url' }
    { name: 'REDIS_URL', secretRef: 'redis-url' }
    { name: 'CELERY_BROKER_URL', secretRef: 'redis-url' }
    { name: 'CELERY_TASK_DEFAULT_QUEUE', value: celeryQueue }
    { name: 'AZURE_CLOUD', value: azureCloud }
    { name: 'AZURE_CLIENT_ID', value: identity.outputs.clientId }
    { name: 'ENTRA_TENANT_ID', value: entraTenantId }
    { name: 'ENTRA_ALLOWED_TENANT_IDS', value: join(entraAllowedTenantIds, ',') }
    { name: 'OIDC_RP_CLIENT_ID', value: oidcClientId }
    { name: 'OIDC_RP_CLIENT_SECRET', secretRef: 'oidc-client-secret' }
    { name: 'LOG_FORMAT', value: 'json' }
    { name: 'LOG_LEVEL', value: logLevel }
    { name: 'METRICS_TOKEN', secretRef: 'metrics-token' }
    { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'applicationinsights-connection-string' }
    { name: 'OTEL_SERVICE_NAME', value: 'loom-portal' }
    { name: 'EMAIL_BACKEND', value: empty(emailHost) ? 'django.core.mail.backends.dummy.EmailBackend' : 'django.core.mail.backends.smtp.EmailBackend' }
    { name: 'EMAIL_HOST', value: empty(emailHost) ? 'localhost' : emailHost }
    { name: 'EMAIL_PORT', value: string(emailPort) }
    { name: 'EMAIL_HOST_USER', value: emailHostUser }
    { name: 'EMAIL_USE_TLS', value: string(emailUseTls) }
    { name: 'DEFAULT_FROM_EMAIL', value: defaultFromEmail }
    { name: 'WEB_CONCURRENCY', value: string(webConcurrency) }
    { name: 'CELERY_WORKER_CONCURRENCY', value: string(workerConcurrency) }
    { name: 'PORTAL_BASE_URL', value: 'https://${last(hosts)}' }
  ],
  empty(apimResourceId) ? [] : [
    { name: 'APIM_SUBSCRIPTION_ID', value: split(apimResourceId, '/')[2] }
    { name: 'APIM_RESOURCE_GROUP', value: split(apimResourceId, '/')[4] }
    { name: 'APIM_SERVICE_NAME', value: last(split(apimResourceId, '/')) }
    { name: 'APIM_GATEWAY_URL', value: empty(apimGatewayUrl) ? 'https://${last(split(apimResourceId, '/'))}.${azureCloud == 'AzureUSGovernment' ? 'azure-api.us' : 'azure-api.net'}' : apimGatewayUrl }
  ],
  empty(emailHostPassword) ? [] : [
    { name: 'EMAIL_HOST_PASSWORD', secretRef: 'email-host-password' }
  ],
  empty(servingDatabases) ? [] : [
    { name: 'LOOM_SERVING_DATABASES', secretRef: 'serving-databases' }
  ],
  // The catalog mirror authenticates with the managed identity (Cosmos DB data contributor above), no key.
  empty(cosmosAccountResourceId) ? [] : [
    { name: 'COSMOS_ENDPOINT', value: reference(cosmosAccountResourceId, '2024-11-15').documentEndpoint }
    { name: 'COSMOS_DATABASE', value: cosmosDatabaseName }
  ]
)

module containerApps 'modules/containerApps.bicep' = {
  name: 'containerApps'
  dependsOn: [
    secrets
    keyVault
  ]
  params: {
    location: location
    tags: allTags
    environmentId: containerAppsEnvironment.outputs.id
    workloadProfileName: containerAppsEnvironment.outputs.workloadProfileName
    identityId: identity.outputs.id
    image: '${acrPull.outputs.loginServer}/${imageTag}'
    registryServer: acrPull.outputs.loginServer
    environmentVariables: appEnvironment
    secrets: appSecrets
    appNames: {
      web: names.web
      worker: names.worker
      beat: names.beat
    }
    webExternalIngress: true
    webScale: webScale
    workerScale: workerScale
    resources: appResources
    redisHost: redis.outputs.hostName
    celeryQueue: celeryQueue
  }
}

module migrationJob 'modules/migrationJob.bicep' = {
  name: 'migrationJob'
  dependsOn: [
    secrets
    keyVault
  ]
  params: {
    location: location
    tags: allTags
    jobName: names.migrationJob
    environmentId: containerAppsEnvironment.outputs.id
    workloadProfileName: containerAppsEnvironment.outputs.workloadProfileName
    identityId: identity.outputs.id
    image: '${acrPull.outputs.loginServer}/${imageTag}'
    registryServer: acrPull.outputs.loginServer
    environmentVariables: appEnvironment
    secrets: appSecrets
  }
}

// ---- Outputs -----------------------------------------------------------------------------------------------------------

@description('FQDN of the web app (inside the VNet when the environment is internal).')
output webFqdn string = containerApps.outputs.webFqdn

@description('Names of the web, worker and beat apps.')
output appNames object = containerApps.outputs.names

@description('Name of the migration job to start before each upgrade rolls out.')
output migrationJobName string = migrationJob.outputs.name

@description('Client id of the portal identity (AZURE_CLIENT_ID).')
output identityClientId string = identity.outputs.clientId

@description('Principal id of the portal identity, for role assignments made outside this template.')
output identityPrincipalId string = identity.outputs.principalId

@description('Name of the Key Vault holding the portal\'s secrets.')
output keyVaultName string = keyVault.outputs.name

@description('FQDN of the PostgreSQL server (private).')
output postgresFqdn string = postgres.outputs.fqdn

@description('Name of the Application Insights component.')
output appInsightsName string = monitoring.outputs.appInsightsName
