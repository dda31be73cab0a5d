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

        var model = new
        {
            id = order.Id,
            supplier = string.IsNullOrEmpty(supplier.Name) ? message.Supplier : supplier.Name,
            store = store.Id,
            date = order.CreatedAt.ToOffset(store.TimeZone.GetUtcOffset(order.CreatedAt)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            lines = order.Lines.Select(l => new { sku = l.Sku, name = l.Name, quantity = l.Quantity }).ToList(),
        };
        await email.SendAsync(new EmailMessage(store.Id, "purchase-order:" + order.Id, supplier.Email, $"Purchase order {order.Id} from {store.Id}",
            PurchaseOrderTemplates.Html.Render(model, html: true), PurchaseOrderTemplates.Text.Render(model))
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

internal static class PurchaseOrderTemplates
{
    public static readonly LiquidTemplate Html = LiquidTemplate.Parse("""
        <p>Dear {{ supplier }},</p>
        <p>Please supply the following for purchase order <strong>{{ id }}</strong> ({{ date }}):</p>
        <table border="1" cellpadding="4" cellspacing="0">
        <tr><th>SKU</th><th>Description</th><th>Quantity</th></tr>
        {% for line in lines %}<tr><td>{{ line.sku }}</td><td>{{ line.name }}</td><td align="right">{{ line.quantity }}</td></tr>
        {% endfor %}</table>
        <p>The same lines are attached as CSV. Please quote {{ id }} on the delivery.</p>
        """);

    public static readonly LiquidTemplate Text = LiquidTemplate.Parse("""
        Dear {{ supplier }},

        Please supply the following for purchase order {{ id }} ({{ date }}):
        {% for line in lines %}- {{ line.sku }} {{ line.name }}: {{ line.quantity }}
        {% endfor %}
        The same lines are attached as CSV. Please quote {{ id }} on the delivery.
        """);
}
