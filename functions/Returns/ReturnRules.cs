using System.Globalization;

namespace Automation.Returns;

/// <summary>
/// The condition step: a store's policy applied to one request, in priority order. The first rule that decides
/// wins, and the decision names it and says why in words a customer can read. Pure: no I/O, time passed in.
/// </summary>
public static class ReturnRules
{
    public static ReturnDecision Decide(ReturnPolicy policy, ReturnOrder order, ReturnRequest request, int recentReturns)
    {
        var lines = request.Items.Select(i => (Item: i, Line: order.Line(i.LineItemId))).ToList();
        var value = lines.Sum(x => (x.Line?.UnitPrice ?? 0) * x.Item.Quantity);
        var currency = order.Currency;

        // 1. The return window.
        var (start, startName) = WindowStartOf(policy.WindowFrom, order);
        if (start is null)
        {
            return ReturnDecision.Declined("not-fulfilled", DeclineReason.Other,
                "These items have not been shipped yet, so there is nothing to return; contact us to change or cancel the order instead.") with { ItemsValue = value };
        }

        var deadline = start.Value + policy.Window;
        if (request.RequestedAt > deadline)
        {
            return ReturnDecision.Declined("return-window", DeclineReason.ReturnPeriodEnded,
                $"Returns are accepted within {Days(policy.Window)} days of {startName}; this order's window ended on {deadline:yyyy-MM-dd}.") with { ItemsValue = value };
        }

        // 2. Final sale.
        foreach (var (_, line) in lines)
        {
            if (line is null) continue;
            if (FirstMatch(line.Tags, policy.EffectiveFinalSaleTags) is { } tag)
                return FinalSale("final-sale:tag", $"\"{line.Title}\" is final sale (tagged \"{tag}\") and cannot be returned.", value);
            if (line.ProductType is { } type && FirstMatch([type], policy.FinalSaleProductTypes) is not null)
                return FinalSale("final-sale:product-type", $"\"{line.Title}\" is final sale: {type} items cannot be returned.", value);
            if (FirstMatch(line.Collections, policy.FinalSaleCollections) is { } collection)
                return FinalSale("final-sale:collection", $"\"{line.Title}\" is final sale (from the \"{collection}\" collection) and cannot be returned.", value);
            if (policy.DiscountedItemsAreFinalSale && line.Discounted)
                return FinalSale("final-sale:discounted", $"\"{line.Title}\" was bought at a discount, and discounted items are final sale.", value);
        }

        // 3. A person decides the large and the frequent.
        if (policy.ReviewAboveValue is { } limit && value > limit)
        {
            return new ReturnDecision(ReturnOutcome.ManualReview, "review:value",
                $"Returns worth more than {Money(limit, currency)} are checked by our team; we will email you within two working days.") { ItemsValue = value };
        }

        if (policy.ReviewAfterReturns is { } count && recentReturns >= count)
        {
            return new ReturnDecision(ReturnOutcome.ManualReview, "review:recent-returns",
                $"You have made {recentReturns} returns in the last {Days(policy.RecentReturnsPeriod)} days, so our team checks this one by hand; we will email you within two working days.") { ItemsValue = value };
        }

        // 4. Fee by segment; exchanges are encouraged.
        var segment = policy.Segments.FirstOrDefault(s => order.CustomerTags.Contains(s.CustomerTag, StringComparer.OrdinalIgnoreCase));
        var fee = segment?.Fee ?? policy.HandlingFee;
        var exchange = request.Wish == ReturnWish.Exchange;
        if (exchange && policy.ExchangeWaivesFee) fee = 0;
        var freeShipping = exchange && policy.ExchangeFreeShipping;

        // 5. Keep it: cheaper than shipping it back.
        if (policy.KeepItBelowValue is { } keepBelow && value < keepBelow)
        {
            return new ReturnDecision(ReturnOutcome.KeepIt, "keep-it",
                $"Returns worth less than {Money(keepBelow, currency)} cost more to ship than they are worth: please keep the items, there is nothing to send back.")
            { ItemsValue = value, Fee = 0, FreeShippingOnReplacement = freeShipping, Segment = segment?.Name ?? "default" };
        }

        var why = fee == 0
            ? exchange && freeShipping
                ? "Your exchange is approved with no fee, and the replacement ships free."
                : segment is not null ? $"Your return is approved; as a {segment.Name} customer you pay no return fee." : "Your return is approved with no fee."
            : $"Your return is approved; a return fee of {Money(fee, currency)} is taken from your refund.";
        return new ReturnDecision(ReturnOutcome.Approved, segment is null ? "approve" : $"approve:segment:{segment.Name}", why)
        {
            ItemsValue = value,
            Fee = fee,
            FreeShippingOnReplacement = freeShipping,
            Segment = segment?.Name ?? "default",
        };
    }

    /// <summary>The window's start: the chosen date, or the next one the platform knows (delivery → fulfilment → order).</summary>
    public static (DateTimeOffset? Start, string Name) WindowStartOf(WindowStart from, ReturnOrder order) => from switch
    {
        WindowStart.Order => (order.CreatedAt, "the order date"),
        WindowStart.Delivery when order.DeliveredAt is { } delivered => (delivered, "delivery"),
        WindowStart.Delivery or WindowStart.Fulfillment => order.FulfilledAt is { } fulfilled ? (fulfilled, "shipping") : (null, "shipping"),
        _ => throw new ArgumentOutOfRangeException(nameof(from), from, null),
    };

    private static ReturnDecision FinalSale(string rule, string why, decimal value) =>
        ReturnDecision.Declined(rule, DeclineReason.FinalSale, why) with { ItemsValue = value };

    private static string? FirstMatch(IEnumerable<string> values, IEnumerable<string> wanted) =>
        values.FirstOrDefault(v => wanted.Contains(v.Trim(), StringComparer.OrdinalIgnoreCase));

    private static string Days(TimeSpan span) => span.TotalDays.ToString("0.##", CultureInfo.InvariantCulture);

    internal static string Money(decimal amount, string currency) => amount.ToString("0.00", CultureInfo.InvariantCulture) + " " + currency;
}
