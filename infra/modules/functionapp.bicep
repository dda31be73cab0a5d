// The Flex Consumption (FC1, Linux) plan and the function app: .NET isolated worker, the package in a blob container
// read with the app's user-assigned identity, storage and Application Insights reached with that identity, secrets
// read from Key Vault through references. No setting holds a key or a secret.

import { keyVaultReference } from 'names.bicep'

param location string
param tags object
param planName string
param appName string

@description('Resource id, client id and principal id of the app\'s user-assigned managed identity.')
param identity { id: string, clientId: string, principalId: string }

param storageAccountName string
param deploymentContainerUrl string
param appInsightsConnectionString string
param vaultUri string

@description('.NET version of the isolated worker (functionAppConfig.runtime.version).')
param runtimeVersion string

@allowed([512, 2048, 4096])
param instanceMemoryMB int

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Plain (non-secret) app settings, name → value.')
param settings object

@description('Names of the app settings whose values are Key Vault secrets (see names.bicep).')
param secretSettingNames string[]

@description('Also set the Functions host key "operator" to the operator key (see infra/README.md: it needs the published app).')
param setOperatorHostKey bool

@description('The operator key (Admin:ApiKey): the host key "operator" gets the same value when setOperatorHostKey is on.')
@secure()
param adminApiKey string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (the default would be a system-assigned one).
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

// Identity-based connections (no keys): the Functions host, the queue, timer and Durable extensions and the app's own
// storage clients (functions/Storage/StorageClients.cs) all read AzureWebJobsStorage__*.
var identitySettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.clientId
  // DefaultAzureCredential (the Azure Monitor exporter, anything else) picks the user-assigned identity.
  AZURE_CLIENT_ID: identity.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.clientId};Authorization=AAD'
  // The host's own logs and traces go out through OpenTelemetry too, so one trace spans host and worker.
  AzureFunctionsJobHost__telemetryMode: 'OpenTelemetry'
}

// Links in customers' emails (unsubscribe) point at the app; a custom domain goes in settings instead.
var derivedSettings = {
  AbandonedCart__PublicBaseUrl: 'https://${app.properties.defaultHostName}'
}

var secretReferences = toObject(secretSettingNames, name => name, name => keyVaultReference(vaultUri, name))

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(derivedSettings, settings, identitySettings, secretReferences)
}

// Operator endpoints are AuthorizationLevel.Function: the host checks its keys before the app checks Admin:ApiKey.
// The key API is served by the app's running host, which is why this is off until the app has been published.
// BCP081: Bicep ships no type for this ARM resource (the REST API documents it as an action), so nothing to check it against.
#disable-next-line BCP081
resource hostKey 'Microsoft.Web/sites/host/functionKeys@2024-04-01' = if (setOperatorHostKey) {
  name: '${app.name}/default/operator'
  properties: {
    name: 'operator'
    value: adminApiKey
  }
  dependsOn: [
    appSettings
  ]
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
