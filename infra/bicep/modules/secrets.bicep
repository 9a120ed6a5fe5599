// Writes the portal's secrets into Key Vault. Connection strings are composed here from the
// services' own keys (listKeys) and the parameters marked @secure(); nothing is output but the
// secret names; apps reference them by versionless URI, so a rotated value is picked up on its own.

@description('Name of the Key Vault.')
param vaultName string

@description('Django SECRET_KEY (at least 50 random characters).')
@secure()
@minLength(50)
param djangoSecretKey string

@description('PostgreSQL host name.')
param postgresHost string

@description('PostgreSQL database name.')
param postgresDatabase string

@description('PostgreSQL login.')
param postgresLogin string

@description('PostgreSQL password.')
@secure()
param postgresPassword string

@description('Name of the Azure Cache for Redis (its primary key is read here).')
param redisName string

@description('Name of the Application Insights component (its connection string is read here).')
param appInsightsName string

@description('Client secret of the Entra ID app registration.')
@secure()
param oidcClientSecret string

@description('Bearer token Prometheus sends to /metrics.')
@secure()
@minLength(32)
param metricsToken string

@description('SMTP password; empty when the relay needs none (no secret is written then).')
@secure()
param emailHostPassword string

@description('Serving databases for the data API (name=url pairs); empty: no secret is written.')
@secure()
param servingDatabases string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource redis 'Microsoft.Cache/redis@2024-11-01' existing = {
  name: redisName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var redisKey = redis.listKeys().primaryKey
// Celery needs ssl_cert_reqs on a rediss:// URL; redis-py (Django's cache) reads it too.
var redisUrl = 'rediss://:${uriComponent(redisKey)}@${redis.properties.hostName}:${redis.properties.sslPort}/0?ssl_cert_reqs=required'
var databaseUrl = 'postgres://${uriComponent(postgresLogin)}:${uriComponent(postgresPassword)}@${postgresHost}:5432/${postgresDatabase}?sslmode=require'

var values = {
  'django-secret-key': djangoSecretKey
  'database-url': databaseUrl
  'redis-url': redisUrl
  'redis-password': redisKey
  'oidc-client-secret': oidcClientSecret
  'metrics-token': metricsToken
  'applicationinsights-connection-string': appInsights.properties.ConnectionString
  'email-host-password': emailHostPassword
  'serving-databases': servingDatabases
}

// Known before the deployment starts (a loop cannot range over runtime values).
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

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for name in secretNames: {
  parent: vault
  name: name
  properties: {
    value: values[name]
    contentType: 'text/plain'
  }
}]

@description('Names of the secrets written (main.bicep references each by its versionless URI).')
output secretNames array = secretNames
