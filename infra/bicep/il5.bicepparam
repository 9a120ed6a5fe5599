// DoD Impact Level 5 (Azure Government, AzureUSGovernment endpoints).
//
// OUT OF SCOPE: IL5 workloads are usually hosted on AKS (or other compute the authorizing official
// accepts for IL5 isolation), with customer-managed keys on every data store. This repository does
// not provide an AKS deployment or CMK wiring. This file deploys the same Container Apps template on
// a dedicated workload profile (isolated compute), internal only, as a starting point for an
// assessment, not as an IL5-authorized configuration. See docs/deploy.md, "IL5".
using 'main.bicep'

param azureCloud = 'AzureUSGovernment'
param environmentName = 'il5'
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

// Dedicated (isolated) compute instead of the shared Consumption profile.
param workloadProfileType = 'D4'
param zoneRedundant = true
param internalEnvironment = true
param keyVaultPublicNetworkAccess = 'Disabled'
param postgresSkuName = 'Standard_D4ds_v5'
param postgresZoneRedundantHa = true
param postgresBackupRetentionDays = 35
param postgresGeoRedundantBackup = true
param redisSkuName = 'Premium'
param redisCapacity = 1
param logRetentionDays = 365
