using Automation.Returns.Labels;
using Automation.Stores;

namespace Automation.Returns;

/// <summary>A label that was made and stored: what the platform and the emails need.</summary>
public sealed record IssuedLabel(string Carrier, string TrackingNumber, Uri Url, Uri? TrackingUrl, DateTimeOffset ExpiresAt);

/// <summary>
/// The platform side of returns that both platforms share: looking the order up, the exchange code and the refund.
/// How the decision itself is recorded differs too much to share (Shopify's returns API in steps, WooCommerce's order
/// note): see <see cref="ShopifyReturns"/> and <see cref="WooCommerceReturns"/>. Every write goes through the effect
/// ledger with a key derived from the RMA, so a retried activity does not repeat it.
/// </summary>
public interface IReturnsPlatform
{
    Platform Platform { get; }

    /// <summary>The order by the number the customer sees (Shopify <c>#1001</c>, WooCommerce <c>1001</c>), or null.</summary>
    Task<ReturnOrder?> FindOrderAsync(Store store, string orderNumber, CancellationToken cancellationToken);

    Task<ReturnOrder?> GetOrderAsync(Store store, long orderId, CancellationToken cancellationToken);

    /// <summary>A single-use free-shipping code for an exchange's replacement order (the exchange incentive).</summary>
    Task CreateFreeShippingCodeAsync(Store store, FreeShippingCode code, ReturnCase returnCase, CancellationToken cancellationToken);

    /// <summary>Refunds a kept-it return; only called when the store turned automatic refunds on. False: left to the merchant.</summary>
    Task<bool> RefundAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, CancellationToken cancellationToken);
}

/// <summary>The exchange incentive: a code derived from the RMA, so a retry makes the same code.</summary>
public sealed record FreeShippingCode(string Code, DateTimeOffset StartsAt, DateTimeOffset ExpiresAt)
{
    public static string For(string rma) => "XSHIP-" + rma[(rma.LastIndexOf('-') + 1)..];
}

public sealed class ReturnsPlatforms(IEnumerable<IReturnsPlatform> platforms)
{
    public IReturnsPlatform For(Store store) => platforms.First(p => p.Platform == store.Platform);
}

/// <summary>Orders are matched on the number without its <c>#</c>, case and spaces aside.</summary>
internal static class OrderNumbers
{
    public static string Normalize(string number) => number.Trim().TrimStart('#').Trim().ToUpperInvariant();
}
