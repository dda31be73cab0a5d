// Key Vault (RBAC mode) holding every secret the app reads: the operator key, the unsubscribe-link signing key, the
// SMTP password and each store's webhook secrets and Admin API credentials. The app reads them through Key Vault
// references with its user-assigned identity, which may read secrets and do nothing else (Key Vault Secrets User).

import { secretName } from 'names.bicep'

param location string
param tags object
param vaultName string

@description('Principal id of the app\'s user-assigned managed identity.')
param appPrincipalId string

@description('App setting name → secret value (e.g. Stores__demo-shopify__WebhookSecret). Each becomes a secret named by names.bicep secretName(); empty values are skipped (an optional secret that was not given).')
@secure()
param secrets object

@description('Purge protection: a deleted vault or secret can not be purged before the retention ends. Once on, it stays on.')
param purgeProtection bool

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Key Vault refuses false here once it was true; leaving it out keeps it off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource vaultSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for secret in filter(items(secrets), s => !empty(s.value)): {
    parent: vault
    name: secretName(secret.key)
    properties: {
      value: secret.value
      contentType: 'text/plain'
    }
  }
]

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
output vaultUri string = vault.properties.vaultUri
