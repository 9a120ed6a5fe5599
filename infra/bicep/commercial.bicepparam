// Commercial Azure (AzureCloud). Secrets and deployment-specific values come from the environment
// of the shell that runs the deployment, never from this file (docs/deploy.md lists them):
//   az deployment group create -g rg-loom-prod --template-file main.bicep --parameters commercial.bicepparam
using 'main.bicep'

param azureCloud = 'AzureCloud'
param environmentName = 'prod'

param imageTag = readEnvironmentVariable('LOOM_IMAGE_TAG')
param containerRegistryName = readEnvironmentVariable('LOOM_ACR_NAME')

param oidcClientId = readEnvironmentVariable('LOOM_OIDC_CLIENT_ID')
param oidcClientSecret = readEnvironmentVariable('LOOM_OIDC_CLIENT_SECRET')
param djangoSecretKey = readEnvironmentVariable('LOOM_DJANGO_SECRET_KEY')
param metricsToken = readEnvironmentVariable('LOOM_METRICS_TOKEN')
param postgresAdministratorPassword = readEnvironmentVariable('LOOM_POSTGRES_PASSWORD')

param customHostName = readEnvironmentVariable('LOOM_HOST_NAME', '')
param apimResourceId = readEnvironmentVariable('LOOM_APIM_RESOURCE_ID', '')
param cosmosAccountResourceId = readEnvironmentVariable('LOOM_COSMOS_RESOURCE_ID', '')

// Production defaults: zone-redundant database and environment, private everything.
param postgresZoneRedundantHa = true
param postgresBackupRetentionDays = 35
param postgresGeoRedundantBackup = true
param zoneRedundant = true
param internalEnvironment = true
param keyVaultPublicNetworkAccess = 'Disabled'
param redisSkuName = 'Premium'
param redisCapacity = 1
param redisZones = [
  '1'
  '2'
]
