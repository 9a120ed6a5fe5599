// The release step as a manual Container Apps job: `python manage.py migrate --noinput` (the
// Procfile's release line) runs once per upgrade, before the new revisions roll out. Web start-up
// never migrates. Start it with `az containerapp job start` (docs/operate.md).

@description('Azure region of the job.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the job.')
param jobName string

@description('Resource id of the Container Apps environment.')
param environmentId string

@description('Workload profile the job runs on.')
param workloadProfileName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Container image (the same image as the apps).')
param image string

@description('Login server of the container registry.')
param registryServer string

@description('Environment variables shared with the apps.')
param environmentVariables array

@description('Key Vault secret references shared with the apps.')
param secrets array

@description('Seconds a migration may run before the replica is stopped.')
param replicaTimeout int = 1800

var releaseCommand = 'python manage.py migrate --noinput'

resource job 'Microsoft.App/jobs@2024-03-01' = {
  name: jobName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: replicaTimeout
      replicaRetryLimit: 0
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      secrets: secrets
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'migrate'
          image: image
          command: [
            '/bin/sh'
            '-c'
          ]
          args: [
            'exec ${releaseCommand}'
          ]
          env: environmentVariables
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
        }
      ]
    }
  }
}

@description('Name of the migration job.')
output name string = job.name
