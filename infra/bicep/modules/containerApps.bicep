// The portal's three long-running processes, one image: web (gunicorn, the only app with ingress),
// worker (Celery, scaled on the Redis queue length) and beat (Celery beat, exactly one replica, the
// django-celery-beat DatabaseScheduler). The commands are the Procfile's (tests/infra checks it).
// Every secret is a Key Vault reference resolved with the user-assigned identity.

@description('Azure region of the apps.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Resource id of the Container Apps environment.')
param environmentId string

@description('Workload profile the apps run on.')
param workloadProfileName string

@description('Resource id of the user-assigned identity (Key Vault references, image pull, Azure calls).')
param identityId string

@description('Container image, e.g. myregistry.azurecr.io/loom-portal:1.4.0.')
param image string

@description('Login server of the container registry, pulled from with the identity.')
param registryServer string

@description('Environment variables shared by every process: {name, value} or {name, secretRef}.')
param environmentVariables array

@description('Container App secrets, each a Key Vault reference: {name, keyVaultUrl, identity}.')
param secrets array

@description('Names of the apps: web, worker and beat.')
param appNames object

@description('True: web ingress is reachable from outside the environment (still inside the VNet when the environment is internal).')
param webExternalIngress bool

@description('Web replicas: min and max (HTTP concurrency rule scales between them).')
param webScale object

@description('Worker replicas: min and max (the Redis queue length rule scales between them).')
param workerScale object

@description('CPU cores and memory of each process, e.g. {web: {cpu: \'1.0\', memory: \'2Gi\'}, ...}.')
param resources object

@description('Redis host name, for the worker scale rule.')
param redisHost string

@description('Celery queue the worker consumes and the scale rule measures.')
param celeryQueue string

@description('Queue length per worker replica before another one starts.')
param queueLengthPerReplica int = 20

// The Procfile's commands (escaped for Bicep: \$ and \').
var processes = {
  web: 'gunicorn loom_portal.wsgi --bind 0.0.0.0:\${PORT:-8000} --workers \${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile - --forwarded-allow-ips \'*\''
  worker: 'celery -A loom_portal worker --loglevel INFO --concurrency \${CELERY_WORKER_CONCURRENCY:-4} --without-gossip --without-mingle'
  beat: 'celery -A loom_portal beat --loglevel INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler'
}

var identity = {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${identityId}': {}
  }
}

var registries = [
  {
    server: registryServer
    identity: identityId
  }
]

// Probes send Host: localhost (in ALLOWED_HOSTS); /healthz is exempt from the HTTPS redirect.
var probeHeaders = [
  {
    name: 'Host'
    value: 'localhost'
  }
]

resource web 'Microsoft.App/containerApps@2024-03-01' = {
  name: appNames.web
  location: location
  tags: tags
  identity: identity
  properties: {
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: secrets
      registries: registries
      ingress: {
        external: webExternalIngress
        targetPort: 8000
        transport: 'auto'
        allowInsecure: false
      }
    }
    template: {
      containers: [
        {
          name: 'web'
          image: image
          command: [
            '/bin/sh'
            '-c'
          ]
          args: [
            'exec ${processes.web}'
          ]
          env: environmentVariables
          resources: {
            cpu: json(resources.web.cpu)
            memory: resources.web.memory
          }
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: 8000
                httpHeaders: probeHeaders
              }
              initialDelaySeconds: 5
              periodSeconds: 5
              failureThreshold: 24
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/healthz'
                port: 8000
                httpHeaders: probeHeaders
              }
              periodSeconds: 15
              timeoutSeconds: 5
              failureThreshold: 3
            }
            {
              type: 'Liveness'
              tcpSocket: {
                port: 8000
              }
              periodSeconds: 30
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: webScale.min
        maxReplicas: webScale.max
        rules: [
          {
            name: 'http-concurrency'
            http: {
              metadata: {
                concurrentRequests: '50'
              }
            }
          }
        ]
      }
    }
  }
}

resource worker 'Microsoft.App/containerApps@2024-03-01' = {
  name: appNames.worker
  location: location
  tags: tags
  identity: identity
  properties: {
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: secrets
      registries: registries
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: image
          command: [
            '/bin/sh'
            '-c'
          ]
          args: [
            'exec ${processes.worker}'
          ]
          env: environmentVariables
          resources: {
            cpu: json(resources.worker.cpu)
            memory: resources.worker.memory
          }
        }
      ]
      scale: {
        minReplicas: workerScale.min
        maxReplicas: workerScale.max
        rules: [
          {
            name: 'celery-queue-length'
            custom: {
              type: 'redis'
              metadata: {
                address: '${redisHost}:6380'
                enableTLS: 'true'
                databaseIndex: '0'
                listName: celeryQueue
                listLength: string(queueLengthPerReplica)
              }
              auth: [
                {
                  secretRef: 'redis-password'
                  triggerParameter: 'password'
                }
              ]
            }
          }
        ]
      }
    }
  }
}

resource beat 'Microsoft.App/containerApps@2024-03-01' = {
  name: appNames.beat
  location: location
  tags: tags
  identity: identity
  properties: {
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: secrets
      registries: registries
    }
    template: {
      containers: [
        {
          name: 'beat'
          image: image
          command: [
            '/bin/sh'
            '-c'
          ]
          args: [
            'exec ${processes.beat}'
          ]
          env: environmentVariables
          resources: {
            cpu: json(resources.beat.cpu)
            memory: resources.beat.memory
          }
        }
      ]
      // One scheduler only: two beats would send every periodic task twice.
      scale: {
        minReplicas: 1
        maxReplicas: 1
      }
    }
  }
}

@description('FQDN of the web app ingress.')
output webFqdn string = web.properties.configuration.ingress.fqdn

@description('Names of the three apps.')
output names object = {
  web: web.name
  worker: worker.name
  beat: beat.name
}
