using System.Text.Json;
using Automation.Effects;
using Automation.Platforms;
using Automation.Shopify;
using Automation.Stores;
using Automation.Webhooks;

namespace Automation.Returns;

/// <summary>
/// Shopify's returns API (GraphQL Admin, scopes <c>read_orders</c>, <c>write_returns</c>, <c>write_orders</c>).
/// Approve: <c>returnApproveRequest</c>, then <c>reverseDeliveryCreateWithShipping</c> with our label's URL and
/// tracking number. Decline: <c>returnDeclineRequest</c>. A self-service request has no Shopify return yet; one is
/// made with <c>returnRequest</c> first, so the merchant sees every approved return in the Shopify admin.
/// </summary>
public sealed class ShopifyReturns(ShopifyAdminClient shopify, EffectLedger ledger) : IReturnsPlatform
{
    private const string OrderFields = """
        fragment ReturnOrderFields on Order {
          id legacyResourceId name email createdAt currencyCode
          customer { tags }
          shippingAddress { name company address1 address2 city provinceCode zip countryCodeV2 }
          fulfillments(first: 20) { createdAt deliveredAt fulfillmentLineItems(first: 100) { nodes { id lineItem { id } } } }
          lineItems(first: 100) {
            nodes {
              id name sku quantity
              originalUnitPriceSet { shopMoney { amount } }
              discountedUnitPriceSet { shopMoney { amount } }
              product { productType tags collections(first: 20) { nodes { handle } } }
            }
          }
        }
        """;

    public Platform Platform => Platform.Shopify;

    public async Task<ReturnOrder?> FindOrderAsync(Store store, string orderNumber, CancellationToken cancellationToken)
    {
        var wanted = OrderNumbers.Normalize(orderNumber);
        if (wanted.Length == 0 || wanted.Contains('"', StringComparison.Ordinal)) return null;
        var data = await shopify.GraphQLAsync(store, "query ReturnOrderByName($query: String!) { orders(first: 5, query: $query) { nodes { ...ReturnOrderFields } } }\n" + OrderFields,
            new { query = $"name:\"#{wanted}\"" }, cancellationToken);
        return data.Prop("orders")?.Array("nodes")
            .Where(o => OrderNumbers.Normalize(o.Str("name") ?? "") == wanted)
            .Select(Map)
            .FirstOrDefault();
    }

    public async Task<ReturnOrder?> GetOrderAsync(Store store, long orderId, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, "query ReturnOrderById($id: ID!) { order(id: $id) { ...ReturnOrderFields } }\n" + OrderFields,
            new { id = $"gid://shopify/Order/{orderId}" }, cancellationToken);
        return data.Prop("order") is { } order ? Map(order) : null;
    }

    // Each step below is one platform write, once per RMA through the ledger. Whenever its outcome is unknown — a crash
    // mid-call (PriorAttempt.Unfinished), or this attempt's answer lost to a timeout or a 5xx — it first looks at Shopify
    // for what the lost call made, and only then acts (PlatformWrite).

    /// <summary><c>returnRequest</c> for a self-service return: the new Shopify return's id.</summary>
    public async Task<string> RequestReturnAsync(Store store, ReturnCase returnCase, CancellationToken cancellationToken) =>
        await ledger.RunOnceAsync(store.Id, $"shopify:return-request:{returnCase.Rma}", (prior, ct) => PlatformWrite.RunAsync(prior,
            async c => Lookup.Of(await FindRequestedReturnAsync(store, returnCase, c)),
            c => CreateReturnAsync(store, returnCase, c), ct), cancellationToken)
        ?? throw new PlatformException("Shopify did not return the new return's id.", null, null, isTransient: false);

    /// <summary><c>returnApproveRequest</c>: the return's reverse fulfillment order (null if Shopify made none).</summary>
    public Task<string?> ApproveReturnAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, string returnId, CancellationToken cancellationToken) =>
        ledger.RunOnceAsync(store.Id, $"shopify:return-approve:{returnCase.Rma}", (prior, ct) => PlatformWrite.RunAsync(prior,
            c => FindApprovedAsync(store, returnId, c),
            c => ApproveAsync(store, policy, returnId, c), ct), cancellationToken);

    /// <summary><c>reverseDeliveryCreateWithShipping</c> with our label's link and tracking number: the reverse delivery's id.</summary>
    public async Task<string?> AttachLabelAsync(Store store, ReturnCase returnCase, string returnId, string? reverseFulfillmentOrderId, IssuedLabel label, CancellationToken cancellationToken)
    {
        var reverseOrder = reverseFulfillmentOrderId
            ?? await FindReverseFulfillmentOrderAsync(store, returnId, cancellationToken)
            ?? throw new PlatformException($"Shopify return for {returnCase.Rma} has no reverse fulfillment order to attach the label to yet.", null, null, isTransient: true);
        return await ledger.RunOnceAsync(store.Id, $"shopify:reverse-delivery:{returnCase.Rma}", (prior, ct) => PlatformWrite.RunAsync(prior,
            async c => Lookup.Of(await FindReverseDeliveryAsync(store, reverseOrder, c)),
            c => CreateReverseDeliveryAsync(store, reverseOrder, label, c), ct), cancellationToken);
    }

    /// <summary><c>returnDeclineRequest</c> for a return the customer asked for in Shopify: the return's new status.</summary>
    public Task<string?> DeclineReturnAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, string returnId, CancellationToken cancellationToken) =>
        ledger.RunOnceAsync(store.Id, $"shopify:return-decline:{returnCase.Rma}", (prior, ct) => PlatformWrite.RunAsync(prior,
            async c => Lookup.Of(await FindDeclinedAsync(store, returnId, c)),
            c => DeclineAsync(store, policy, returnCase, returnId, c), ct), cancellationToken);

    /// <summary>
    /// <c>discountCodeFreeShippingCreate</c>. The code is derived from the RMA: when the answer was lost, the code is
    /// looked up (<c>codeDiscountNodeByCode</c>) before it is asked for again, and <c>TAKEN</c> counts as made.
    /// </summary>
    public Task CreateFreeShippingCodeAsync(Store store, FreeShippingCode code, ReturnCase returnCase, CancellationToken cancellationToken) =>
        PlatformWrite.RunAsync(
            async ct => Lookup.Of(await shopify.FindDiscountCodeAsync(store, code.Code, ct)),
            ct => CreateFreeShippingCodeOnceAsync(store, code, returnCase, ct),
            cancellationToken);

    private async Task<string?> CreateFreeShippingCodeOnceAsync(Store store, FreeShippingCode code, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, """
            mutation CreateExchangeShippingCode($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) {
              discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) {
                codeDiscountNode { id }
                userErrors { field message code }
              }
            }
            """, new
        {
            freeShippingCodeDiscount = new
            {
                title = $"Free shipping for exchange {returnCase.Rma}",
                code = code.Code,
                startsAt = code.StartsAt,
                endsAt = code.ExpiresAt,
                context = new { all = "ALL" },
                destination = new { all = true },
                usageLimit = 1,
                appliesOncePerCustomer = true,
            },
        }, cancellationToken);
        var payload = data.Prop("discountCodeFreeShippingCreate") ?? throw new PlatformException("Shopify returned no discountCodeFreeShippingCreate payload.", null, null, isTransient: false);

        // TAKEN: an earlier attempt made this very code (it is derived from the RMA).
        var errors = payload.Array("userErrors").Where(e => e.Str("code") != "TAKEN").ToList();
        if (errors.Count > 0)
            throw new PlatformException($"Shopify discountCodeFreeShippingCreate failed: {errors[0].Str("message")}", null, errors[0].Str("code"), isTransient: false);
        return payload.Prop("codeDiscountNode")?.Str("id") ?? code.Code;
    }

    public Task<bool> RefundAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, CancellationToken cancellationToken) =>
        // Shopify refunds need the return's refund calculation (suggestedRefund) and the transactions; left to the merchant for now.
        Task.FromResult(false);

    /// <summary>A return on the order with exactly these lines that is still requested or open: the one a lost call made.</summary>
    private async Task<string?> FindRequestedReturnAsync(Store store, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, """
            query ReturnsOfOrder($id: ID!) {
              order(id: $id) {
                returns(first: 25) {
                  nodes { id status returnLineItems(first: 100) { nodes { quantity ... on ReturnLineItem { fulfillmentLineItem { id } } } } }
                }
              }
            }
            """, new { id = returnCase.Order.PlatformId }, cancellationToken);
        var wanted = returnCase.Lines.Select(x => $"{x.Line.FulfillmentLineItemId}x{x.Item.Quantity}").Order(StringComparer.Ordinal).ToList();
        return data.Prop("order")?.Prop("returns")?.Array("nodes")
            .Where(r => r.Str("status") is "REQUESTED" or "OPEN")
            .Where(r => (r.Prop("returnLineItems")?.Array("nodes") ?? [])
                .Select(l => $"{l.Prop("fulfillmentLineItem")?.Str("id")}x{l.Int("quantity")}").Order(StringComparer.Ordinal).SequenceEqual(wanted))
            .Select(r => r.Str("id"))
            .FirstOrDefault();
    }

    /// <summary>If the return is already open: approved, with its reverse fulfillment order if any (approving again would be refused).</summary>
    private async Task<Lookup<string>> FindApprovedAsync(Store store, string returnId, CancellationToken cancellationToken)
    {
        var found = await ReturnStatusAsync(store, returnId, cancellationToken);
        return found?.Str("status") is "OPEN"
            ? Lookup.Found<string>(found.Value.Prop("reverseFulfillmentOrders")?.Array("nodes").Select(n => n.Str("id")).FirstOrDefault())
            : Lookup.NotFound<string>();
    }

    /// <summary>The return's reverse fulfillment order, when the approval did not name one.</summary>
    private async Task<string?> FindReverseFulfillmentOrderAsync(Store store, string returnId, CancellationToken cancellationToken) =>
        (await ReturnStatusAsync(store, returnId, cancellationToken))?.Prop("reverseFulfillmentOrders")?.Array("nodes").Select(n => n.Str("id")).FirstOrDefault();

    /// <summary>If the return is already declined, its status (declining again would be refused).</summary>
    private async Task<string?> FindDeclinedAsync(Store store, string returnId, CancellationToken cancellationToken) =>
        (await ReturnStatusAsync(store, returnId, cancellationToken))?.Str("status") is "DECLINED" ? "DECLINED" : null;

    private async Task<JsonElement?> ReturnStatusAsync(Store store, string returnId, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, "query ReturnStatus($id: ID!) { return(id: $id) { status reverseFulfillmentOrders(first: 5) { nodes { id } } } }", new { id = returnId }, cancellationToken);
        return data.Prop("return");
    }

    private async Task<string?> FindReverseDeliveryAsync(Store store, string reverseFulfillmentOrderId, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, "query ReverseDeliveries($id: ID!) { reverseFulfillmentOrder(id: $id) { reverseDeliveries(first: 5) { nodes { id } } } }", new { id = reverseFulfillmentOrderId }, cancellationToken);
        return data.Prop("reverseFulfillmentOrder")?.Prop("reverseDeliveries")?.Array("nodes").Select(n => n.Str("id")).FirstOrDefault();
    }

    private async Task<string?> CreateReturnAsync(Store store, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var lines = returnCase.Lines.Select(x => new
        {
            fulfillmentLineItemId = x.Line.FulfillmentLineItemId ?? throw new PlatformException($"Line item {x.Line.LineItemId} has not been fulfilled.", null, null, isTransient: false),
            quantity = x.Item.Quantity,
            returnReason = ReturnReason(x.Item.Reason),
            customerNote = x.Item.Note,
        }).ToList();
        var data = await shopify.GraphQLAsync(store, """
            mutation RequestReturn($input: ReturnRequestInput!) {
              returnRequest(input: $input) { return { id status } userErrors { field message code } }
            }
            """, new { input = new { orderId = returnCase.Order.PlatformId, returnLineItems = lines } }, cancellationToken);
        var result = Result(data, "returnRequest");
        return result.Prop("return")?.Str("id");
    }

    private async Task<string?> ApproveAsync(Store store, ReturnPolicy policy, string returnId, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, """
            mutation ApproveReturn($input: ReturnApproveRequestInput!) {
              returnApproveRequest(input: $input) {
                return { id status reverseFulfillmentOrders(first: 5) { nodes { id } } }
                userErrors { field message code }
              }
            }
            """, new { input = new { id = returnId, notifyCustomer = policy.ShopifyNotifiesCustomer } }, cancellationToken);
        var result = Result(data, "returnApproveRequest");
        return result.Prop("return")?.Prop("reverseFulfillmentOrders")?.Array("nodes").Select(n => n.Str("id")).FirstOrDefault();
    }

    private async Task<string?> CreateReverseDeliveryAsync(Store store, string reverseFulfillmentOrderId, IssuedLabel label, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, """
            mutation AttachReturnLabel($reverseFulfillmentOrderId: ID!, $labelInput: ReverseDeliveryLabelInput, $trackingInput: ReverseDeliveryTrackingInput, $notifyCustomer: Boolean) {
              reverseDeliveryCreateWithShipping(
                reverseFulfillmentOrderId: $reverseFulfillmentOrderId
                reverseDeliveryLineItems: []
                labelInput: $labelInput
                trackingInput: $trackingInput
                notifyCustomer: $notifyCustomer
              ) { reverseDelivery { id } userErrors { field message code } }
            }
            """, new
        {
            reverseFulfillmentOrderId,
            labelInput = new { fileUrl = label.Url.ToString() },
            trackingInput = new { number = label.TrackingNumber, url = label.TrackingUrl?.ToString() },
            notifyCustomer = false,
        }, cancellationToken);
        return Result(data, "reverseDeliveryCreateWithShipping").Prop("reverseDelivery")?.Str("id");
    }

    private async Task<string?> DeclineAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, string returnId, CancellationToken cancellationToken)
    {
        var reason = returnCase.Decision.DeclineReason switch
        {
            DeclineReason.FinalSale => "FINAL_SALE",
            DeclineReason.ReturnPeriodEnded => "RETURN_PERIOD_ENDED",
            _ => "OTHER",
        };
        var note = returnCase.Decision.Reason.Length <= 500 ? returnCase.Decision.Reason : returnCase.Decision.Reason[..497] + "...";
        var data = await shopify.GraphQLAsync(store, """
            mutation DeclineReturn($input: ReturnDeclineRequestInput!) {
              returnDeclineRequest(input: $input) { return { id status } userErrors { field message code } }
            }
            """, new { input = new { id = returnId, declineReason = reason, declineNote = note, notifyCustomer = policy.ShopifyNotifiesCustomer } }, cancellationToken);
        return Result(data, "returnDeclineRequest").Prop("return")?.Str("status");
    }

    /// <summary>A mutation's payload; <c>userErrors</c> come back in a 200 and are failures no retry fixes.</summary>
    private static JsonElement Result(JsonElement data, string mutation)
    {
        var result = data.Prop(mutation) ?? throw new PlatformException($"Shopify returned no {mutation} payload.", null, null, isTransient: false);
        var errors = result.Array("userErrors").ToList();
        if (errors.Count > 0)
        {
            var first = errors[0];
            throw new PlatformException($"Shopify {mutation} failed: {first.Str("message")}", null, first.Str("code"), isTransient: false);
        }

        return result;
    }

    /// <summary>Shopify's <c>ReturnReason</c> from the reason the customer gave (Shopify's own words pass through).</summary>
    internal static string ReturnReason(string? reason) => (reason ?? "").Trim().ToUpperInvariant().Replace(' ', '_').Replace('-', '_') switch
    {
        "SIZE_TOO_SMALL" or "TOO_SMALL" => "SIZE_TOO_SMALL",
        "SIZE_TOO_LARGE" or "TOO_LARGE" or "TOO_BIG" => "SIZE_TOO_LARGE",
        "UNWANTED" or "CHANGED_MIND" => "UNWANTED",
        "NOT_AS_DESCRIBED" => "NOT_AS_DESCRIBED",
        "WRONG_ITEM" => "WRONG_ITEM",
        "DEFECTIVE" or "DAMAGED" or "BROKEN" => "DEFECTIVE",
        "STYLE" => "STYLE",
        "COLOR" or "COLOUR" => "COLOR",
        _ => "OTHER",
    };

    private static long LegacyId(string? gid) =>
        gid is not null && long.TryParse(gid[(gid.LastIndexOf('/') + 1)..], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new FormatException($"'{gid}' is not a Shopify GID.");

    internal static ReturnOrder Map(JsonElement order)
    {
        var fulfillments = order.Array("fulfillments").ToList();
        var fulfillmentLines = fulfillments
            .SelectMany(f => f.Prop("fulfillmentLineItems")?.Array("nodes") ?? [])
            .Select(n => (Line: LegacyId(n.Prop("lineItem")?.Str("id")), Id: n.Str("id")))
            .GroupBy(x => x.Line)
            .ToDictionary(g => g.Key, g => g.First().Id);
        var address = order.Prop("shippingAddress");
        var lines = order.Prop("lineItems")?.Array("nodes").Select(l =>
        {
            var id = LegacyId(l.Str("id"));
            var original = l.Prop("originalUnitPriceSet")?.Prop("shopMoney")?.Decimal("amount") ?? 0;
            var paid = l.Prop("discountedUnitPriceSet")?.Prop("shopMoney")?.Decimal("amount") ?? original;
            var product = l.Prop("product");
            return new OrderLine(
                id,
                l.Str("name") ?? $"Item {id}",
                l.Str("sku"),
                l.Int("quantity") ?? 0,
                paid,
                product?.Str("productType"),
                [.. product?.Array("tags").Select(t => t.GetString()).OfType<string>() ?? []],
                [.. product?.Prop("collections")?.Array("nodes").Select(c => c.Str("handle")).OfType<string>() ?? []],
                Discounted: paid < original,
                FulfillmentLineItemId: fulfillmentLines.GetValueOrDefault(id));
        }).ToList() ?? [];

        return new ReturnOrder(
            OrderId: order.Long("legacyResourceId") ?? LegacyId(order.Str("id")),
            Name: order.Str("name") ?? "",
            Email: order.Str("email"),
            Currency: order.Str("currencyCode") ?? "USD",
            CreatedAt: order.Date("createdAt") ?? DateTimeOffset.MinValue,
            FulfilledAt: fulfillments.Select(f => f.Date("createdAt")).Max(),
            DeliveredAt: fulfillments.Select(f => f.Date("deliveredAt")).Max(),
            ShippingAddress: address is { } a
                ? new PostalAddress(a.Str("name") ?? "", a.Str("address1") ?? "", a.Str("address2"), a.Str("city") ?? "", a.Str("provinceCode"), a.Str("zip") ?? "", a.Str("countryCodeV2") ?? "", a.Str("company"))
                : null,
            Lines: lines,
            CustomerTags: [.. order.Prop("customer")?.Array("tags").Select(t => t.GetString()).OfType<string>() ?? []],
            PlatformId: order.Str("id"));
    }
}
