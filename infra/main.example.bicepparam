// An example deployment with the two demo stores' shapes. Copy it (e.g. to main.prod.bicepparam), change the
// values, and deploy with:
//   az deployment group create -g <group> -f infra/main.bicep -p infra/main.prod.bicepparam
// Secrets never go in this file: each is read from an environment variable when the deployment runs, and lands in
// Key Vault only. See infra/README.md.
using 'main.bicep'

param name = 'automation'

param instanceMemoryMB = 2048
param maximumInstanceCount = 100

param taskHubName = 'Automation'
param queues = {
  batchSize: 16
  maxDequeueCount: 5
  // As host.json ships (the queue extension's default on Azure): an empty queue is polled at most once a minute.
  // Shorter reacts faster after a quiet spell and costs more while an instance is up (README: Benchmarks).
  maxPollingInterval: '00:01:00'
}

// After the first publish of the app, deploy again with true (or run the one command in infra/README.md).
param setOperatorHostKey = false

param adminApiKey = readEnvironmentVariable('AUTOMATION_ADMIN_API_KEY')
param signingSecret = readEnvironmentVariable('AUTOMATION_SIGNING_SECRET')

param settings = {
  Email__SmtpHost: 'smtp.example.com'
  Email__SmtpPort: '587'
  Email__Security: 'StartTls'
  Email__UserName: 'automation@example.com'
  Email__FromAddress: 'store@example.com'
  Email__FromName: 'Example Store'
  AbandonedCart__StoreName: 'Example Store'
}

param secretSettings = {
  Email__Password: readEnvironmentVariable('AUTOMATION_SMTP_PASSWORD', '')
}

param stores = {
  'example-shopify': {
    Platform: 'Shopify'
    ShopDomain: 'example-store.myshopify.com'
    AdminApiBaseUrl: 'https://example-store.myshopify.com/admin/api/2025-10'
    TimeZone: 'Europe/Amsterdam'
    Currency: 'EUR'
  }
  'example-woo': {
    Platform: 'WooCommerce'
    SiteUrl: 'https://woo.example.com/'
    AdminApiBaseUrl: 'https://woo.example.com/wp-json/wc/v3'
    TimeZone: 'America/New_York'
    Currency: 'USD'
  }
}

param storeSecrets = {
  'example-shopify': {
    WebhookSecret: readEnvironmentVariable('EXAMPLE_SHOPIFY_WEBHOOK_SECRET')
    AccessToken: readEnvironmentVariable('EXAMPLE_SHOPIFY_ACCESS_TOKEN')
  }
  'example-woo': {
    WebhookSecret: readEnvironmentVariable('EXAMPLE_WOO_WEBHOOK_SECRET')
    ConsumerKey: readEnvironmentVariable('EXAMPLE_WOO_CONSUMER_KEY')
    ConsumerSecret: readEnvironmentVariable('EXAMPLE_WOO_CONSUMER_SECRET')
  }
}
