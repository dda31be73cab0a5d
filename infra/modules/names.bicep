// Names shared by the modules: where a secret setting lives in Key Vault, and how the app refers to it.

@export()
@description('Key Vault secret name for an app setting: "__" becomes "--" (Key Vault names allow letters, digits and hyphens), e.g. Stores__demo-shopify__WebhookSecret → Stores--demo-shopify--WebhookSecret.')
func secretName(setting string) string => replace(setting, '__', '--')

@export()
@description('A Key Vault reference without a version: the app reads the latest version (refreshed within 24 hours, or at once when the app\'s configuration changes or it restarts).')
func keyVaultReference(vaultUri string, setting string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName(setting)}/)'
