using Automation.AbandonedCart;
using Automation.Email;
using Automation.LowStock;
using Automation.OutOfStock;
using Automation.Restock;
using Automation.Returns;
using Automation.Storage;
using Automation.Stores;
using Automation.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Automation.Tests.Email;

/// <summary>The email renderer as the app builds it, over the run's Azurite, for a ShopifyStore and a WooCommerce store.</summary>
internal static class EmailTestKit
{
    public const string ShopifyStore = "mugs-shopify";
    public const string WooStore = "mugs-woo";

    public static IReadOnlyList<EmailTemplateDefinition> AllTemplates =>
        [.. RecoveryEmails.Templates, .. WaitlistEmails.Templates, .. LowStockEmails.Templates, .. SoldOutEmails.Templates, .. ReturnEmails.Templates];

    public static IEnumerable<string> TemplateNames => AllTemplates.Select(t => t.Name);

    /// <summary>Settings for the two stores, as a TestApp or a configuration takes them.</summary>
    public static void Stores(IDictionary<string, string?> s)
    {
        s[$"Stores:{ShopifyStore}:Platform"] = "Shopify";
        s[$"Stores:{ShopifyStore}:ShopDomain"] = "blue-mugs.myshopify.com";
        s[$"Stores:{ShopifyStore}:WebhookSecret"] = "shopify-secret";
        s[$"Stores:{ShopifyStore}:Currency"] = "EUR";
        s[$"Stores:{ShopifyStore}:TimeZone"] = "Europe/Amsterdam";
        s[$"Stores:{ShopifyStore}:Branding:StoreName"] = "Blue Mugs";
        s[$"Stores:{ShopifyStore}:Branding:LogoUrl"] = "https://cdn.example.com/blue-mugs/logo.png";
        s[$"Stores:{ShopifyStore}:Branding:AccentColor"] = "#0E7C66";
        s[$"Stores:{ShopifyStore}:Branding:SupportEmail"] = "help@bluemugs.example";
        s[$"Stores:{ShopifyStore}:Branding:Footer"] = "Blue Mugs B.V. · Havenweg 4 · 1000 AB Amsterdam";
        s[$"Stores:{ShopifyStore}:Branding:WebsiteUrl"] = "https://bluemugs.example";
        s[$"Stores:{WooStore}:Platform"] = "WooCommerce";
        s[$"Stores:{WooStore}:SiteUrl"] = "https://shop.greentea.example/";
        s[$"Stores:{WooStore}:WebhookSecret"] = "woo-secret";
        s[$"Stores:{WooStore}:Currency"] = "USD";
        s[$"Stores:{WooStore}:Branding:StoreName"] = "Green Tea Co.";
        s[$"Stores:{WooStore}:Branding:SupportEmail"] = "hello@greentea.example";
    }

    public static IConfiguration Configuration(Action<Dictionary<string, string?>>? more = null)
    {
        var values = new Dictionary<string, string?> { ["AzureWebJobsStorage"] = Azurite.ConnectionString };
        Stores(values);
        more?.Invoke(values);
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    public static EmailRenderer Renderer(IConfiguration configuration, TimeProvider? time = null)
    {
        var stores = StoreRegistry.FromConfiguration(configuration);
        var catalog = new EmailTemplateCatalog(AllTemplates);
        Assert.That(catalog.Problems, Is.Empty);
        var storage = new StorageClients(configuration, Options.Create(new StorageClientsOptions()), new StorageOperationCounter());
        var overrides = new EmailTemplateOverrides(storage, Options.Create(new EmailTemplateOptions()), time ?? TimeProvider.System, NullLogger<EmailTemplateOverrides>.Instance);
        var services = new ServiceCollection().AddSingleton(new AbandonedCartSettings(configuration)).BuildServiceProvider();
        return new EmailRenderer(stores, catalog, overrides, new StoreSettings<BrandingOptions>(configuration, BrandingOptions.Section), configuration, services, NullLogger<EmailRenderer>.Instance);
    }

    public static Store Store(IConfiguration configuration, string id) => StoreRegistry.FromConfiguration(configuration).Get(id);

    /// <summary>Uploads a store's override of a template, as a merchant would (Storage Explorer, az storage blob upload).</summary>
    public static async Task UploadOverrideAsync(string storeId, string template, string source)
    {
        var container = Azurite.Container(EmailTemplateOverrides.Container);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient(EmailTemplateOverrides.BlobName(storeId, template)).UploadAsync(BinaryData.FromString(source), overwrite: true);
    }

    public static async Task DeleteOverridesAsync()
    {
        var container = Azurite.Container(EmailTemplateOverrides.Container);
        await container.DeleteIfExistsAsync();
    }
}
