using System.Globalization;
using System.Net;
using System.Text.Json;
using Automation.Platforms;
using Automation.Shopify;
using Automation.Storage;
using Automation.Stores;
using Automation.WooCommerce;

namespace Automation.AbandonedCart;

public sealed record CouponRequest(string Code, string Title, decimal Percent, string Email, long? CustomerId, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>A coupon at the platform; <see cref="AlreadyExisted"/> when an earlier attempt had created it.</summary>
public sealed record IssuedCoupon(string Code, string? PlatformId, bool AlreadyExisted);

/// <summary>Creates a unique, single-use coupon for one customer at the store's platform.</summary>
public interface ICheckoutCoupons
{
    /// <summary>Throws <see cref="PlatformException"/>: transient ones are worth a retry, permanent ones are not.</summary>
    Task<IssuedCoupon> CreateAsync(Store store, CouponRequest request, CancellationToken cancellationToken);
}

public sealed class CheckoutCoupons(ShopifyAdminClient shopify, WooCommerceClient woo) : ICheckoutCoupons
{
    internal const string DiscountCodeBasicCreate = """
        mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
          discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
            codeDiscountNode { id }
            userErrors { field code message }
          }
        }
        """;

    /// <summary>A code derived from the flow, so a retry after a crash asks for the same code and recognises it.</summary>
    public static string CodeFor(string prefix, string flowId) => (prefix + StorageKeys.Hash(flowId)[..10]).ToUpperInvariant();

    public Task<IssuedCoupon> CreateAsync(Store store, CouponRequest request, CancellationToken cancellationToken) => store.Platform switch
    {
        Platform.Shopify => CreateShopifyAsync(store, request, cancellationToken),
        Platform.WooCommerce => CreateWooCommerceAsync(store, request, cancellationToken),
        _ => throw new PlatformException($"No coupons for platform {store.Platform}.", null, "unsupported", isTransient: false),
    };

    private async Task<IssuedCoupon> CreateShopifyAsync(Store store, CouponRequest request, CancellationToken cancellationToken)
    {
        // percentage is a fraction 0..1; the customer restriction is `context` (2025-10+, formerly customerSelection).
        object context = request.CustomerId is { } id
            ? new { customers = new { add = new[] { $"gid://shopify/Customer/{id.ToString(CultureInfo.InvariantCulture)}" } } }
            : new { all = "ALL" };
        var variables = new
        {
            basicCodeDiscount = new
            {
                title = request.Title,
                code = request.Code,
                startsAt = request.StartsAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                endsAt = request.EndsAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                usageLimit = 1,
                appliesOncePerCustomer = true,
                context,
                customerGets = new
                {
                    value = new { percentage = (double)Math.Round(request.Percent / 100m, 4) },
                    items = new { all = true },
                },
            },
        };

        // When the answer is lost Shopify may have made the code: look (codeDiscountNodeByCode) before asking again;
        // found then, this attempt made it.
        var issued = await PlatformWrite.RunAsync(
            async ct => Lookup.Of(await shopify.FindDiscountCodeAsync(store, request.Code, ct) is { } made ? new IssuedCoupon(request.Code, made, AlreadyExisted: false) : null),
            ct => CreateShopifyOnceAsync(store, request, variables, ct),
            cancellationToken);
        return issued!;
    }

    private async Task<IssuedCoupon?> CreateShopifyOnceAsync(Store store, CouponRequest request, object variables, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, DiscountCodeBasicCreate, variables, cancellationToken);
        var payload = data.GetProperty("discountCodeBasicCreate");
        var errors = payload.TryGetProperty("userErrors", out var e) && e.ValueKind == JsonValueKind.Array ? e : default;
        if (errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            var first = errors[0];
            var code = first.TryGetProperty("code", out var c) ? c.GetString() : null;
            var message = first.TryGetProperty("message", out var m) ? m.GetString() : null;
            if (code == "TAKEN" || (message?.Contains("must be unique", StringComparison.OrdinalIgnoreCase) ?? false))
            {
                // The code is derived from the flow: "taken" means our own earlier attempt created it.
                return new IssuedCoupon(request.Code, null, AlreadyExisted: true);
            }

            throw new PlatformException($"Shopify refused the discount: {code} {message}", HttpStatusCode.OK, code, isTransient: false);
        }

        var node = payload.GetProperty("codeDiscountNode");
        return new IssuedCoupon(request.Code, node.ValueKind == JsonValueKind.Object ? node.GetProperty("id").GetString() : null, AlreadyExisted: false);
    }

    private async Task<IssuedCoupon> CreateWooCommerceAsync(Store store, CouponRequest request, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object?>
        {
            ["code"] = request.Code,
            ["discount_type"] = "percent",
            ["amount"] = request.Percent.ToString("0.##", CultureInfo.InvariantCulture),
            ["description"] = request.Title,
            ["individual_use"] = true,
            ["usage_limit"] = 1,
            ["usage_limit_per_user"] = 1,
            ["email_restrictions"] = new[] { request.Email },
            ["date_expires_gmt"] = request.EndsAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
        };
        try
        {
            var created = await PlatformWrite.RunAsync(
                // Found after this attempt's own answer was lost: this attempt made it.
                async ct => Lookup.Of(await woo.FindCouponAsync(store, request.Code, ct) is { } found ? new IssuedCoupon(request.Code, found, AlreadyExisted: false) : null),
                async ct =>
                {
                    var answer = await woo.SendAsync(store, HttpMethod.Post, "coupons", body, ct);
                    var id = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("id", out var i) ? i.GetRawText() : null;
                    return new IssuedCoupon(request.Code, id, AlreadyExisted: false);
                },
                cancellationToken);
            return created!;
        }
        catch (PlatformException ex) when (ex.ErrorCode == "woocommerce_rest_coupon_code_already_exists")
        {
            return new IssuedCoupon(request.Code, null, AlreadyExisted: true);
        }
    }
}
