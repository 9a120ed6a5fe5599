// Container Apps environment: VNet-integrated (internal by default: no public ingress), logs to Log
// Analytics, workload profiles (Consumption, or dedicated compute for stricter boundaries).

@description('Azure region of the environment.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the environment.')
param environmentName string

@description('Name of the Log Analytics workspace that receives console logs.')
param workspaceName string

@description('Resource id of the infrastructure subnet (delegated to Microsoft.App/environments).')
param infrastructureSubnetId string

@description('True: the environment has only an internal load balancer (reach it through your gateway). False: a public ingress IP.')
param internal bool

@description('Spread replicas across availability zones (the region must support them).')
param zoneRedundant bool

@description('Workload profile the apps run on: Consumption, or a dedicated profile type such as D4.')
param workloadProfileType string

@description('Minimum and maximum instances of a dedicated workload profile (ignored for Consumption).')
param dedicatedProfileCount object = {
  minimum: 1
  maximum: 3
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

var consumption = [
  {
    name: 'Consumption'
    workloadProfileType: 'Consumption'
  }
]
var dedicated = [
  {
    name: 'dedicated'
    workloadProfileType: workloadProfileType
    minimumCount: dedicatedProfileCount.minimum
    maximumCount: dedicatedProfileCount.maximum
  }
]

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    vnetConfiguration: {
      infrastructureSubnetId: infrastructureSubnetId
      internal: internal
    }
    workloadProfiles: workloadProfileType == 'Consumption' ? consumption : concat(consumption, dedicated)
    zoneRedundant: zoneRedundant
  }
}

@description('Resource id of the environment.')
output id string = environment.id

@description('Default domain of the environment; apps are <app>.<defaultDomain>.')
output defaultDomain string = environment.properties.defaultDomain

@description('Workload profile name the apps should use.')
output workloadProfileName string = workloadProfileType == 'Consumption' ? 'Consumption' : 'dedicated'
