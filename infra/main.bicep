// Automation on Azure, in one resource group: a Flex Consumption function app with a user-assigned managed identity,
// its storage account (identity only, shared keys off), Application Insights on Log Analytics (Entra auth only), and a
// Key Vault with every secret, read through Key Vault references. See infra/README.md.
//
//   az deployment group create -g <group> -f infra/main.bicep -p infra/main.example.bicepparam

targetScope = 'resourceGroup'

@description('Short name for this deployment: 3-11 lowercase letters or digits, part of every resource name.')
@minLength(3)
@maxLength(11)
param name string

param location string = resourceGroup().location

param tags object = {
  app: 'automation'
}

@description('.NET version of the isolated worker. The app targets net10.0, which Flex Consumption runs as dotnet-isolated 10.0.')
param runtimeVersion string = '10.0'

@description('Memory per instance (MB); CPU and network scale with it. 2048 is the Flex Consumption default.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to (40-1000; Flex Consumption\'s default is 100).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Durable Functions task hub (host.json extensions.durableTask.hubName). Letters and digits, 3-45, starting with a letter; unique per storage account.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'Automation'

@description('Queue trigger settings (host.json extensions.queues) for this environment; host.json keeps the defaults.')
param queues {
  @description('Messages fetched per queue per poll (1-32); also the per-instance target for scaling.')
  batchSize: int
  @description('Deliveries before a message goes to <queue>-poison.')
  maxDequeueCount: int
  @description('Longest wait between polls of an empty queue (hh:mm:ss). Longer is cheaper at idle and slower to react.')
  maxPollingInterval: string
} = {
  batchSize: 16
  maxDequeueCount: 5
  maxPollingInterval: '00:01:00'
}

@description('Days Log Analytics keeps logs and traces.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Daily log ingestion cap in GB (-1: none).')
param logDailyCapGb int = 1

@description('Key Vault purge protection (recommended for production; once on it cannot be turned off).')
param keyVaultPurgeProtection bool = false

@description('Set the Functions host key "operator" to adminApiKey in this deployment. The host must be running, so turn it on when redeploying after the first publish (or use the command in infra/README.md).')
param setOperatorHostKey bool = false

@description('The operator key (Admin:ApiKey, and the host key for the operator endpoints): a long random string.')
@minLength(32)
@secure()
param adminApiKey string

@description('Signing:Secret: signs unsubscribe links and keys coupon codes — a long random string. To rotate it, pass the old one as Signing__PreviousSecret in secretSettings.')
@minLength(32)
@secure()
param signingSecret string

@description('Each connected store\'s non-secret settings: store id → { Platform, ShopDomain or SiteUrl, AdminApiBaseUrl, TimeZone, Currency, … } as in the README\'s Stores table (nested settings with "__", e.g. Email__FromAddress). Becomes Stores__{id}__{setting}.')
param stores object = {}

@description('Each store\'s secrets: store id → { WebhookSecret, PreviousWebhookSecret, AccessToken (Shopify) or ConsumerKey and ConsumerSecret (WooCommerce), Email__Password }. Kept in Key Vault only.')
@secure()
param storeSecrets object = {}

@description('Other non-secret app settings for the whole deployment (Email__SmtpHost, Email__FromAddress, LowStock__OpsContacts__0, …).')
param settings object = {}

@description('Other secret app settings for the whole deployment, by setting name (Email__Password, LowStock__SlackWebhookUrl, …). Kept in Key Vault only.')
@secure()
param secretSettings object = {}

var suffix = uniqueString(resourceGroup().id, name)
var deploymentContainerName = 'app-package'

// Every secret, by the app setting that reads it.
var storeSecretSettings = toObject(
  flatten(map(items(storeSecrets), store => map(items(store.value), secret => {
    setting: 'Stores__${store.key}__${secret.key}'
    value: secret.value
  }))),
  entry => entry.setting,
  entry => entry.value
)
var allSecrets = union(secretSettings, storeSecretSettings, {
  Admin__ApiKey: adminApiKey
  Signing__Secret: signingSecret
})

var storeSettings = toObject(
  flatten(map(items(stores), store => map(items(store.value), setting => {
    setting: 'Stores__${store.key}__${setting.key}'
    value: string(setting.value)
  }))),
  entry => entry.setting,
  entry => entry.value
)

// host.json stays as shipped; what differs per environment is set here (AzureFunctionsJobHost__ overrides host.json).
var hostSettings = {
  AzureFunctionsJobHost__extensions__durableTask__hubName: taskHubName
  AzureFunctionsJobHost__extensions__queues__batchSize: string(queues.batchSize)
  AzureFunctionsJobHost__extensions__queues__maxDequeueCount: string(queues.maxDequeueCount)
  AzureFunctionsJobHost__extensions__queues__maxPollingInterval: queues.maxPollingInterval
  // Durable traces its orchestrations and activities and hands each invocation its span, so a flow continues the
  // trace that started it (README "Telemetry").
  AzureFunctionsJobHost__extensions__durableTask__tracing__distributedTracingEnabled: 'true'
  AzureFunctionsJobHost__extensions__durableTask__tracing__version: 'V2'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-${suffix}'
  location: location
  tags: tags
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    storageAccountName: take('st${name}${suffix}', 24)
    deploymentContainerName: deploymentContainerName
    appPrincipalId: identity.properties.principalId
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    workspaceName: 'log-${name}-${suffix}'
    appInsightsName: 'appi-${name}-${suffix}'
    appPrincipalId: identity.properties.principalId
    retentionInDays: logRetentionDays
    dailyQuotaGb: logDailyCapGb
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    vaultName: take('kv${name}${suffix}', 24)
    appPrincipalId: identity.properties.principalId
    secrets: allSecrets
    purgeProtection: keyVaultPurgeProtection
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    planName: 'plan-${name}-${suffix}'
    appName: 'func-${name}-${suffix}'
    identity: {
      id: identity.id
      clientId: identity.properties.clientId
      principalId: identity.properties.principalId
    }
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    vaultUri: keyVault.outputs.vaultUri
    runtimeVersion: runtimeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    settings: union(settings, storeSettings, hostSettings)
    secretSettingNames: filter(objectKeys(allSecrets), setting => !empty(allSecrets[setting]))
    setOperatorHostKey: setOperatorHostKey
    adminApiKey: adminApiKey
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'
output storageAccountName string = storage.outputs.name
output keyVaultName string = keyVault.outputs.name
output appInsightsName string = monitoring.outputs.appInsightsName
output identityClientId string = identity.properties.clientId
