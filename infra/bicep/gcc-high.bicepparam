// Azure Government (GCC High): AzureUSGovernment endpoints. Sign in to the government cloud first:
//   az cloud set --name AzureUSGovernment && az login
//   az deployment group create -g rg-loom-prod --template-file main.bicep --parameters gcc-high.bicepparam
// The template picks the government private DNS zones (privatelink.vaultcore.usgovcloudapi.net,
// privatelink.redis.cache.usgovcloudapi.net, *.private.postgres.database.usgovcloudapi.net), the
// *.azurecr.us registry suffix and login.microsoftonline.us (AZURE_CLOUD=AzureUSGovernment).
using 'main.bicep'

param azureCloud = 'AzureUSGovernment'
param environmentName = 'prod'
param location = 'usgovvirginia'

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

param postgresZoneRedundantHa = true
param postgresBackupRetentionDays = 35
param postgresGeoRedundantBackup = true
param zoneRedundant = true
param internalEnvironment = true
param keyVaultPublicNetworkAccess = 'Disabled'
param redisSkuName = 'Premium'
param redisCapacity = 1
param logRetentionDays = 365
