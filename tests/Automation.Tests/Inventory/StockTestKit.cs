using Automation.Events;
using Automation.Inventory;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;

namespace Automation.Tests.Inventory;

/// <summary>Builders and waits shared by the stock automations' integration tests.</summary>
internal static class StockTestKit
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
    private static int _sequence;

    /// <summary>The webhook secret of every store these tests configure.</summary>
    public static readonly string WebhookSecret = TestSecrets.For("stock-webhook");

    /// <summary>A platform fake that answers Shopify's tagsAdd and tagsRemove for product 100, as the stock automations call them.</summary>
    public static async Task<FakePlatform> StartTaggingPlatformAsync()
    {
        var fake = await FakePlatform.StartAsync();
        fake.OnGraphQLData("tagsAdd", _ => new { tagsAdd = new { node = new { id = "gid://shopify/Product/100" }, userErrors = Array.Empty<object>() } });
        fake.OnGraphQLData("tagsRemove", _ => new { tagsRemove = new { node = new { id = "gid://shopify/Product/100" }, userErrors = Array.Empty<object>() } });
        return fake;
    }

    public static void ShopifyStore(Dictionary<string, string?> s, FakePlatform fake, string id = "s1")
    {
        s[$"Stores:{id}:Platform"] = "Shopify";
        s[$"Stores:{id}:ShopDomain"] = $"{id}.myshopify.com";
        s[$"Stores:{id}:WebhookSecret"] = WebhookSecret;
        s[$"Stores:{id}:AdminApiBaseUrl"] = fake.ShopifyAdminApiBaseUrl;
        s[$"Stores:{id}:AccessToken"] = "shpat_test";
    }

    public static void WooStore(Dictionary<string, string?> s, FakePlatform fake, string id = "w1")
    {
        s[$"Stores:{id}:Platform"] = "WooCommerce";
        s[$"Stores:{id}:SiteUrl"] = $"https://{id}.example.test/";
        s[$"Stores:{id}:WebhookSecret"] = WebhookSecret;
        s[$"Stores:{id}:AdminApiBaseUrl"] = fake.WooCommerceApiBaseUrl;
        s[$"Stores:{id}:ConsumerKey"] = "ck_test";
        s[$"Stores:{id}:ConsumerSecret"] = "cs_test";
    }

    public static ProductUpdated Product(string storeId, long productId, string title, params VariantSnapshot[] variants) => new()
    {
        Id = $"product:{Interlocked.Increment(ref _sequence)}",
        StoreId = storeId,
        OccurredAt = T0,
        ProductId = productId,
        Title = title,
        Url = $"https://{storeId}.example.test/products/{productId}",
        Status = "active",
        Variants = variants,
    };

    public static VariantSnapshot Variant(long variantId, string sku, int quantity, bool sellsWhenOut = false) =>
        new(variantId, sku, sku, null, quantity, true, sellsWhenOut, null, null, 10m);

    /// <summary>A level at T0 + <paramref name="minute"/> minutes (event time, which orders levels).</summary>
    public static InventoryLevelChanged Level(string storeId, long productId, long variantId, string sku, int available, int minute, string location = "default", bool sellsWhenOut = false) => new()
    {
        Id = $"inventory:{Interlocked.Increment(ref _sequence)}",
        StoreId = storeId,
        OccurredAt = T0.AddMinutes(minute),
        VariantId = variantId,
        ProductId = productId,
        Sku = sku,
        LocationId = location,
        Available = available,
        SellsWhenOutOfStock = sellsWhenOut,
    };

    /// <summary>A paid order for <paramref name="units"/> of a variant, yesterday (inside the velocity window).</summary>
    public static OrderPlaced Order(string storeId, long orderId, long variantId, string sku, int units) => new()
    {
        Id = $"order-placed:{orderId}",
        StoreId = storeId,
        OccurredAt = DateTimeOffset.UtcNow.AddDays(-1),
        OrderId = orderId,
        Currency = "USD",
        LineItems = [new Automation.Events.LineItem(100, variantId, sku, sku, units, 10m)],
    };

    /// <summary>The text of an email's attachment, read from the raw message the sink received.</summary>
    public static async Task<string> AttachmentTextAsync(ReceivedEmail email, string extension)
    {
        var source = await MailSink.SourceAsync(email.Id);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(source));
        var message = await MimeKit.MimeMessage.LoadAsync(stream);
        var part = message.Attachments.OfType<MimeKit.MimePart>().Single(a => a.FileName?.EndsWith(extension, StringComparison.Ordinal) == true);
        using var content = new MemoryStream();
        await part.Content!.DecodeToAsync(content);
        return System.Text.Encoding.UTF8.GetString(content.ToArray());
    }

    public static Task PublishAsync(this TestApp app, StoreEvent storeEvent) =>
        app.Services.GetRequiredService<EventPublisher>().PublishAsync(storeEvent, CancellationToken.None);

    /// <summary>Waits until the view holds <paramref name="available"/> for the variant and every transition has been acted on.</summary>
    public static async Task<TableEntity> SettledAsync(string storeId, long variantId, int available)
    {
        TableEntity? row = null;
        await Eventually.Until(async () =>
        {
            var found = await Azurite.Table(InventoryView.Table).GetEntityIfExistsAsync<TableEntity>(storeId, variantId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            row = found.HasValue ? found.Value : null;
            return row is not null && row.GetString("Pending") is null && VariantStock.FromEntity(row).Available([]) == available
                && await TestApp.CountMessagesAsync(QueueNames.InventoryEvents) == 0;
        }, TimeSpan.FromSeconds(20), $"variant {variantId} settled at {available}");
        return row!;
    }
}
