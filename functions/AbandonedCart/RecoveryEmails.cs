using System.Collections.Concurrent;
using Automation.Email;

namespace Automation.AbandonedCart;

public enum RecoveryEmail { Reminder, Coupon }

/// <summary>Renders a recovery email from the store's templates (or the defaults) and sends it once per flow step.</summary>
public sealed class RecoveryEmails(IEmailSender sender, AbandonedCartSettings settings, UnsubscribeTokens tokens)
{
    private readonly ConcurrentDictionary<string, LiquidTemplate> _parsed = new();

    public async Task<string> SendAsync(RecoveryEmail kind, RecoveryStep step, CancellationToken cancellationToken)
    {
        var state = step.State;
        var options = settings.For(state.StoreId);
        var unsubscribeUrl = $"{options.PublicBaseUrl.TrimEnd('/')}/api/unsubscribe?token={Uri.EscapeDataString(tokens.Create(state.StoreId, state.CustomerKey))}";
        var model = Model(state, options, unsubscribeUrl);
        var t = options.Templates;
        var (subject, html, text) = kind == RecoveryEmail.Reminder
            ? (t.ReminderSubject ?? DefaultTemplates.ReminderSubject, t.ReminderHtml ?? DefaultTemplates.ReminderHtml, t.ReminderText ?? DefaultTemplates.ReminderText)
            : (t.CouponSubject ?? DefaultTemplates.CouponSubject, t.CouponHtml ?? DefaultTemplates.CouponHtml, t.CouponText ?? DefaultTemplates.CouponText);

        var message = new EmailMessage(
            state.StoreId,
            step.EffectKey,
            state.Email,
            Template(subject).Render(model).Trim(),
            Template(html).Render(model, html: true),
            Template(text).Render(model))
        {
            Headers = new Dictionary<string, string>
            {
                ["List-Unsubscribe"] = $"<{unsubscribeUrl}>",
                ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
            },
        };
        return await sender.SendAsync(message, cancellationToken);
    }

    private LiquidTemplate Template(string source) => _parsed.GetOrAdd(source, LiquidTemplate.Parse);

    internal static Dictionary<string, object?> Model(RecoveryState state, AbandonedCartOptions options, string unsubscribeUrl) => new()
    {
        ["first_name"] = state.FirstName,
        ["store_name"] = options.StoreName,
        ["currency"] = state.Currency,
        ["total"] = state.TotalPrice,
        ["recovery_url"] = state.RecoveryUrl,
        ["unsubscribe_url"] = unsubscribeUrl,
        ["items"] = state.LineItems.Select(i => new Dictionary<string, object?>
        {
            ["title"] = i.Title,
            ["quantity"] = i.Quantity,
            ["price"] = i.Price,
            ["sku"] = i.Sku,
        }).ToList(),
        ["coupon"] = state.CouponCode is null ? null : new Dictionary<string, object?>
        {
            ["code"] = state.CouponCode,
            ["percent"] = state.Settings.CouponPercent,
            ["expires_at"] = state.CouponExpiresAt,
        },
    };
}
