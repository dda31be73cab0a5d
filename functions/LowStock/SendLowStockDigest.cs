using System.Globalization;
using Automation.Email;
using Automation.Runtime;
using Automation.Inventory;
using Automation.Stores;

using Microsoft.Azure.Functions.Worker;

namespace Automation.LowStock;

/// <summary>
/// Trigger: a timer every quarter hour (UTC). Condition: the store's local digest time has come today (in the
/// store's own time zone, DST included) and today's digest is not sent yet. Action: one email per operations
/// contact with the low and sold-out items, their days of cover, and the open purchase orders.
/// </summary>
public sealed class SendLowStockDigest(
    StoreRegistry stores,
    StoreSettings<LowStockOptions> settings,
    StoreSettings<InventoryOptions> inventorySettings,
    InventoryView view,
    SalesHistory sales,
    PurchaseOrders purchaseOrders,
    IEmailSender email,
    EmailRenderer renderer,
    TimeProvider time,
    ILogger<SendLowStockDigest> logger)
{
    public const string Schedule = "0 */15 * * * *";

    /// <summary>A digest more than this late (e.g. the app was down all day) is skipped rather than sent at night.</summary>
    private static readonly TimeSpan LatestSend = TimeSpan.FromHours(12);

    [Function(nameof(SendLowStockDigest))]
    public async Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        foreach (var store in stores.All.Where(s => s.AutomationsEnabled))
        {
            await RunForStoreAsync(store, cancellationToken);
        }
    }

    /// <returns>The local date of the digest sent (or already sent), or null when it is not time.</returns>
    public async Task<DateOnly?> RunForStoreAsync(Store store, CancellationToken cancellationToken)
    {
        var options = settings.For(store.Id);
        if (!options.DigestEnabled || options.OpsContacts.Count == 0) return null;
        var now = time.GetUtcNow();
        if (DueDate(now, store.TimeZone, options.DigestTime) is not { } date) return null;

        var inventory = inventorySettings.For(store.Id);
        var items = new List<LowStockDigestItem>();
        await foreach (var variant in view.LowOrSoldOutAsync(store.Id, cancellationToken))
        {
            var available = variant.Available(inventory.OnlineLocations) ?? 0;
            var velocity = await sales.UnitsPerDayAsync(store.Id, variant.VariantId, inventory.VelocityWindow, now, cancellationToken);
            var cover = ReorderCalculator.DaysOfCoverLeft(available, velocity);
            items.Add(new LowStockDigestItem(variant.DisplayName, variant.Sku ?? "", available, variant.State.SoldOut, cover is { } c ? c.ToString("0.#", CultureInfo.InvariantCulture) : "–"));
        }

        var orders = new List<LowStockDigestOrder>();
        await foreach (var order in purchaseOrders.OpenAsync(store.Id, cancellationToken))
        {
            orders.Add(new LowStockDigestOrder(order.Id, order.Supplier, order.CreatedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), string.Join(", ", order.Lines.Select(l => $"{l.Sku} × {l.Quantity}"))));
        }

        var model = new LowStockDigestModel(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), items, orders);
        var rendered = await renderer.RenderAsync(store.Id, LowStockEmails.Digest, new EmailSample(model), cancellationToken);
        foreach (var contact in options.OpsContacts)
        {
            await email.SendAsync(new EmailMessage(store.Id, $"low-stock-digest:{date:yyyy-MM-dd}:{contact.ToLowerInvariant()}", contact,
                rendered.Subject, rendered.Html, rendered.Text), cancellationToken);
        }

        logger.LogInformation("Store {StoreId}: stock digest for {Date} sent ({Items} items, {Orders} open orders)", store.Id, date, items.Count, orders.Count);
        return date;
    }

    /// <summary>The local date whose digest time has passed within <see cref="LatestSend"/>, or null.</summary>
    public static DateOnly? DueDate(DateTimeOffset now, TimeZoneInfo zone, TimeSpan digestTime)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        if (local.TimeOfDay < digestTime) date = date.AddDays(-1);
        var dueLocal = date.ToDateTime(TimeOnly.FromTimeSpan(digestTime));
        if (zone.IsInvalidTime(dueLocal)) dueLocal = dueLocal.AddHours(1); // Skipped by a DST jump: send at the first valid time.
        var due = new DateTimeOffset(dueLocal, zone.GetUtcOffset(dueLocal));
        return now >= due && now - due < LatestSend ? date : null;
    }
}
