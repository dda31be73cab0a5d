using System.Globalization;
using System.Text;
using Automation.Email;
using Automation.Runtime;
using Automation.Inventory;
using Automation.Stores;

using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.LowStock;

/// <summary>
/// Trigger: <c>supplier-orders</c>, the grouping window after a SKU of the supplier ran low.
/// Action: one purchase order with every SKU of that supplier gathered meanwhile, emailed with a CSV and a readable
/// HTML body. The order id comes from the work item, so a retry resends nothing and opens no second order.
/// </summary>
public sealed class SendSupplierOrder(
    PurchaseOrders purchaseOrders,
    StoreSettings<LowStockOptions> settings,
    StoreRegistry stores,
    IEmailSender email,
    EmailRenderer renderer,
    ILogger<SendSupplierOrder> logger)
{
    [Function(nameof(SendSupplierOrder))]
    public Task Run([QueueTrigger(LowStockRegistration.SupplierOrdersQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        HandleAsync(message.Read<SupplierOrderDue>(), cancellationToken);

    private async Task HandleAsync(SupplierOrderDue message, CancellationToken cancellationToken)
    {
        var store = stores.Find(message.StoreId) ?? throw new PermanentFailureException($"Unknown store '{message.StoreId}'.");
        var options = settings.For(store.Id);
        if (!options.Suppliers.TryGetValue(message.Supplier, out var supplier))
        {
            throw new PermanentFailureException($"Store {store.Id} has no supplier '{message.Supplier}' configured any more.");
        }

        var poId = PurchaseOrders.NewId(message.RequestedAt, $"{message.Supplier}:{message.Seed}");
        var order = await purchaseOrders.CreateAsync(store.Id, message.Supplier, poId, cancellationToken);
        if (order is null)
        {
            logger.LogInformation("Store {StoreId}: nothing left to order from {Supplier} (already on another order)", store.Id, message.Supplier);
            return;
        }

        var supplierName = string.IsNullOrEmpty(supplier.Name) ? message.Supplier : supplier.Name;
        var model = new PurchaseOrderEmailModel(
            order.Id,
            supplierName,
            order.CreatedAt.ToOffset(store.TimeZone.GetUtcOffset(order.CreatedAt)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            [.. order.Lines.Select(l => new PurchaseOrderEmailLine(l.Sku, l.Name, l.Quantity))]);
        var rendered = await renderer.RenderAsync(store.Id, LowStockEmails.PurchaseOrder, new EmailSample(model, supplierName), cancellationToken);
        await email.SendAsync(new EmailMessage(store.Id, "purchase-order:" + order.Id, supplier.Email, rendered.Subject, rendered.Html, rendered.Text)
        {
            Attachments = [new EmailAttachment($"{order.Id}.csv", "text/csv", Csv(order))],
        }, cancellationToken);
        logger.LogInformation("Store {StoreId}: purchase order {PoId} sent to supplier {Supplier} with {Lines} line(s)", store.Id, order.Id, message.Supplier, order.Lines.Count);
    }

    internal static byte[] Csv(PurchaseOrder order)
    {
        var csv = new StringBuilder("po_number,sku,description,quantity\r\n");
        foreach (var line in order.Lines)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{Field(order.Id)},{Field(line.Sku)},{Field(line.Name ?? "")},{line.Quantity}\r\n");
        }

        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula.</summary>
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@') value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
