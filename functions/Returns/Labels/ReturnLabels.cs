using System.Text.Json;
using Automation.Effects;
using Automation.Runtime;
using Automation.Stores;

namespace Automation.Returns.Labels;

/// <summary>
/// A return's label, made once per RMA (ledger key <c>label:{rma}</c>) by the store's carrier, kept in Blob storage
/// and linked. Later steps (the platform, the emails) ask again and get the recorded label, without a second one.
/// </summary>
public sealed class ReturnLabels(CarrierLabels carriers, LabelStorage storage, EffectLedger ledger, TimeProvider time)
{
    public async Task<IssuedLabel> IssueAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var warehouse = policy.Warehouses.FirstOrDefault(w => w.Id == returnCase.WarehouseId)
            ?? throw new PermanentFailureException($"Warehouse '{returnCase.WarehouseId}' of return {returnCase.Rma} is no longer configured.");
        var recorded = await ledger.RunOnceAsync(store.Id, $"label:{returnCase.Rma}", async (_, ct) =>
        {
            // Nothing to reconcile after a crash: the same RMA makes the same label, and the blob is overwritten.
            var request = new LabelRequest(
                store.Id,
                returnCase.Rma,
                returnCase.Order.Name,
                returnCase.Order.ShippingAddress ?? throw new PermanentFailureException($"Order {returnCase.Order.OrderId} has no shipping address for the label."),
                warehouse.Address,
                [.. returnCase.Lines.Select(x => new LabelItem(x.Line.Title, x.Line.Sku, x.Item.Quantity))],
                time.GetUtcNow());
            var made = await carriers.For(policy.Carrier).CreateLabelAsync(request, ct);
            var url = await storage.SaveAsync(store.Id, returnCase.Rma, made.Pdf, ct);
            var issued = new IssuedLabel(made.Carrier, made.TrackingNumber, url, made.TrackingUrl, time.GetUtcNow() + storage.LinkLifetime);
            return JsonSerializer.Serialize(issued, Json.Options);
        }, cancellationToken);
        return JsonSerializer.Deserialize<IssuedLabel>(recorded!, Json.Options)!;
    }

    /// <summary>The label's PDF, to attach to the customer's email.</summary>
    public Task<byte[]?> ReadPdfAsync(string storeId, string rma, CancellationToken cancellationToken) => storage.ReadAsync(storeId, rma, cancellationToken);
}
