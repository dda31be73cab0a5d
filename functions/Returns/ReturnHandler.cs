using System.Text.Json;
using Automation.Effects;
using Automation.Email;
using Automation.Runtime;
using Automation.Returns.Labels;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.Returns;

/// <summary>
/// The action step, shared by both intakes. <see cref="DecideAsync"/> applies the rules and records the case once
/// per RMA; <see cref="CarryOutAsync"/> does what the decision says (label, platform, emails), each effect once.
/// </summary>
public sealed class ReturnHandler(
    ReturnPolicies policies,
    ReturnCases cases,
    ReturnsPlatforms platforms,
    CarrierLabels carriers,
    LabelStorage labels,
    EffectLedger ledger,
    IEmailSender email,
    IOptions<ReturnsOptions> options,
    TimeProvider time,
    ILogger<ReturnHandler> logger)
{
    /// <summary>Decides and records the return; a request seen before returns its first decision and <c>Created = false</c>.</summary>
    public async Task<(ReturnCase Case, bool Created)> DecideAsync(Store store, ReturnOrder order, ReturnRequest request, string customerEmail, CancellationToken cancellationToken)
    {
        var policy = policies.For(store.Id) ?? throw new InvalidOperationException($"Returns are not set up for store {store.Id}.");
        var requestKey = request.PlatformReturnId is { } returnId ? $"shopify-return:{returnId}" : ReturnCases.RequestKeyFor(order.OrderId, request.Items);
        var rma = ReturnCases.RmaFor(store.Id, requestKey);
        if (await cases.GetAsync(store.Id, rma, cancellationToken) is { } existing) return (existing, false);

        var now = time.GetUtcNow();
        var recent = await cases.CountRecentAsync(store.Id, customerEmail, now - policy.RecentReturnsPeriod, cancellationToken);
        var decision = ReturnRules.Decide(policy, order, request, recent);
        var (warehouse, routedBecause) = decision.Outcome == ReturnOutcome.Approved ? WarehouseRouting.Choose(policy, order, request.Items) : (null, null);
        var returnCase = new ReturnCase
        {
            StoreId = store.Id,
            Rma = rma,
            RequestKey = requestKey,
            Request = request,
            Order = order,
            CustomerEmail = customerEmail,
            Decision = decision,
            WarehouseId = warehouse?.Id,
            RoutedBecause = routedBecause,
        };
        var added = await cases.AddAsync(returnCase, now, cancellationToken);
        if (added.Created)
        {
            logger.LogInformation("Return {Rma} for store {StoreId} order {OrderId}: {Outcome} by rule {Rule}", rma, store.Id, order.OrderId, decision.Outcome, decision.Rule);
        }

        return added;
    }

    public async Task CarryOutAsync(Store store, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var policy = policies.For(store.Id) ?? throw new PermanentFailureException($"Returns are no longer set up for store {store.Id}.");
        var decision = returnCase.Decision;
        var warehouse = policy.Warehouses.FirstOrDefault(w => w.Id == returnCase.WarehouseId);

        IssuedLabel? label = null;
        byte[]? pdf = null;
        if (decision.Outcome == ReturnOutcome.Approved)
        {
            if (warehouse is null) throw new PermanentFailureException($"Warehouse '{returnCase.WarehouseId}' of return {returnCase.Rma} is no longer configured.");
            label = await IssueLabelAsync(store, policy, returnCase, warehouse, cancellationToken);
            pdf = await labels.ReadAsync(store.Id, returnCase.Rma, cancellationToken);
        }

        await platforms.For(store).ApplyDecisionAsync(store, policy, returnCase, label, cancellationToken);

        FreeShippingCode? shippingCode = null;
        if (decision.FreeShippingOnReplacement && decision.Outcome is ReturnOutcome.Approved or ReturnOutcome.KeepIt)
        {
            shippingCode = await IssueFreeShippingCodeAsync(store, policy, returnCase, cancellationToken);
        }

        if (decision.Outcome == ReturnOutcome.KeepIt && policy.RefundAutomatically)
        {
            await platforms.For(store).RefundAsync(store, policy, returnCase, cancellationToken);
        }

        await email.SendAsync(ReturnEmails.ToCustomer(returnCase, warehouse, label, pdf, shippingCode), cancellationToken);
        if (label is not null && !string.IsNullOrWhiteSpace(warehouse?.Email))
        {
            await email.SendAsync(ReturnEmails.ToWarehouse(returnCase, warehouse, label), cancellationToken);
        }

        await cases.SetStatusAsync(store.Id, returnCase.Rma, "Done", cancellationToken);
        logger.LogInformation("Return {Rma} for store {StoreId} carried out ({Outcome})", returnCase.Rma, store.Id, decision.Outcome);
    }

    /// <summary>The exchange's free-shipping code, once per RMA; its dates are recorded so a retry shows the same ones.</summary>
    private async Task<FreeShippingCode> IssueFreeShippingCodeAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var recorded = await ledger.RunOnceAsync(store.Id, $"free-shipping-code:{returnCase.Rma}", async (_, ct) =>
        {
            var now = time.GetUtcNow();
            var code = new FreeShippingCode(FreeShippingCode.For(returnCase.Rma), now, now + policy.ExchangeCodeLifetime);
            await platforms.For(store).CreateFreeShippingCodeAsync(store, code, returnCase, ct);
            return JsonSerializer.Serialize(code, Json.Options);
        }, cancellationToken);
        return JsonSerializer.Deserialize<FreeShippingCode>(recorded!, Json.Options)!;
    }

    /// <summary>The label once per RMA: made by the store's carrier, kept in Blob storage, linked for the platform and the customer.</summary>
    private async Task<IssuedLabel> IssueLabelAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, Warehouse warehouse, CancellationToken cancellationToken)
    {
        var recorded = await ledger.RunOnceAsync(store.Id, $"label:{returnCase.Rma}", async (_, ct) =>
        {
            var request = new LabelRequest(
                store.Id,
                returnCase.Rma,
                returnCase.Order.Name,
                returnCase.Order.ShippingAddress ?? throw new PermanentFailureException($"Order {returnCase.Order.OrderId} has no shipping address for the label."),
                warehouse.Address,
                [.. returnCase.Lines.Select(x => new LabelItem(x.Line.Title, x.Line.Sku, x.Item.Quantity))],
                time.GetUtcNow());
            var made = await carriers.For(policy.Carrier).CreateLabelAsync(request, ct);
            var url = await labels.SaveAsync(store.Id, returnCase.Rma, made.Pdf, ct);
            var issued = new IssuedLabel(made.Carrier, made.TrackingNumber, url, made.TrackingUrl, time.GetUtcNow() + options.Value.LabelLinkLifetime);
            return JsonSerializer.Serialize(issued, Json.Options);
        }, cancellationToken);
        return JsonSerializer.Deserialize<IssuedLabel>(recorded!, Json.Options)!;
    }
}
