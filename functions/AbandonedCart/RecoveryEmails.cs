using Automation.Email;
using Automation.Stores;

namespace Automation.AbandonedCart;

public enum RecoveryEmail { Reminder, Coupon }

/// <summary>
/// Renders a recovery email from the store's template (<c>Templates/abandoned-cart-*.liquid</c>, a store's override, or
/// the parts set in <c>AbandonedCart:Templates:*</c>) and sends it once per flow step, with one-click unsubscribe.
/// </summary>
public sealed class RecoveryEmails(IEmailSender sender, EmailRenderer renderer, AbandonedCartSettings settings, UnsubscribeTokens tokens)
{
    public const string ReminderTemplate = "abandoned-cart-reminder";
    public const string CouponTemplate = "abandoned-cart-coupon";

    public static IReadOnlyList<EmailTemplateDefinition> Templates =>
    [
        new(ReminderTemplate, "To the shopper, after they left a checkout: the items, the total and a link back to the cart.", EmailAudience.Customer, store => Sample(store, coupon: false))
        {
            SettingsParts = (services, storeId) => Parts(services, storeId, RecoveryEmail.Reminder),
        },
        new(CouponTemplate, "To the shopper who still has not ordered: a single-use discount code for their cart.", EmailAudience.Customer, store => Sample(store, coupon: true))
        {
            SettingsParts = (services, storeId) => Parts(services, storeId, RecoveryEmail.Coupon),
        },
    ];

    public async Task<string> SendAsync(RecoveryEmail kind, RecoveryStep step, CancellationToken cancellationToken)
    {
        var state = step.State;
        var options = settings.For(state.StoreId);
        var unsubscribeUrl = $"{options.PublicBaseUrl.TrimEnd('/')}/api/unsubscribe?token={Uri.EscapeDataString(tokens.Create(state.StoreId, state.CustomerKey))}";
        var model = Model(state, renderer.Brand(state.StoreId).Name, unsubscribeUrl);
        var email = await renderer.RenderAsync(state.StoreId, kind == RecoveryEmail.Reminder ? ReminderTemplate : CouponTemplate,
            new EmailSample(model, state.FirstName, state.Currency), cancellationToken);

        var message = new EmailMessage(state.StoreId, step.EffectKey, state.Email, email.Subject, email.Html, email.Text)
        {
            Headers = new Dictionary<string, string>
            {
                ["List-Unsubscribe"] = $"<{unsubscribeUrl}>",
                ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
            },
        };
        return await sender.SendAsync(message, cancellationToken);
    }

    internal static RecoveryEmailModel Model(RecoveryState state, string storeName, string unsubscribeUrl) => new(
        state.FirstName,
        storeName,
        state.Currency,
        state.TotalPrice,
        state.RecoveryUrl,
        unsubscribeUrl,
        [.. state.LineItems.Select(i => new RecoveryEmailItem(i.Title, i.Quantity, i.Price, i.Sku))],
        state.CouponCode is null ? null : new RecoveryEmailCoupon(state.CouponCode, state.Settings.CouponPercent, state.CouponExpiresAt));

    private static EmailTemplateParts Parts(IServiceProvider services, string storeId, RecoveryEmail kind)
    {
        var t = ((AbandonedCartSettings)services.GetService(typeof(AbandonedCartSettings))!).For(storeId).Templates;
        return kind == RecoveryEmail.Reminder
            ? new EmailTemplateParts(t.ReminderSubject, t.ReminderHtml, t.ReminderText)
            : new EmailTemplateParts(t.CouponSubject, t.CouponHtml, t.CouponText);
    }

    private static EmailSample Sample(Store store, bool coupon)
    {
        var storefront = EmailSamples.Storefront(store);
        var recoveryUrl = store.Platform == Platform.Shopify
            ? $"{storefront}/checkouts/cn/Z2NwLWV1cm9wZS13ZXN0NDox/recover?key=8c1f2e7a9b"
            : $"{storefront}/checkout/order-pay/1187/?pay_for_order=true&key=wc_order_Qm3xT7pL2v";
        var model = new RecoveryEmailModel(
            "Ann",
            store.Id,
            store.Currency,
            43.40m,
            recoveryUrl,
            $"{EmailSamples.AppBaseUrl}/api/unsubscribe?token=sample",
            [new RecoveryEmailItem("Blue ceramic mug", 2, 14.50m, "MUG-BLUE"), new RecoveryEmailItem("Green tea, loose leaf 100 g", 1, 9.90m, "TEA-GREEN-100"), new RecoveryEmailItem("Bamboo coaster", 1, 4.50m, null)],
            coupon ? new RecoveryEmailCoupon("BACK7F3A91C2D0", 10m, EmailSamples.Day(store, 7)) : null);
        return new EmailSample(model, "Ann", store.Currency);
    }
}

/// <summary>What the abandoned-cart templates see (snake_case: <c>first_name</c>, <c>items</c>, <c>coupon.code</c> …).</summary>
/// <remarks>The names are those the earlier <c>AbandonedCart:Templates:*</c> used; new ones are added beside them.</remarks>
public sealed record RecoveryEmailModel(
    string? FirstName,
    string StoreName,
    string Currency,
    decimal Total,
    string? RecoveryUrl,
    string UnsubscribeUrl,
    IReadOnlyList<RecoveryEmailItem> Items,
    RecoveryEmailCoupon? Coupon)
{
    public string UnsubscribeNote => "Don't want these reminders?";
}

/// <param name="Price">The unit price (as before; <see cref="UnitPrice"/> says so).</param>
public sealed record RecoveryEmailItem(string Title, int Quantity, decimal Price, string? Sku)
{
    public decimal UnitPrice => Price;
    public decimal LineTotal => Price * Quantity;
}

public sealed record RecoveryEmailCoupon(string Code, decimal Percent, DateTimeOffset? ExpiresAt);
