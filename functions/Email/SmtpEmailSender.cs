using Automation.Stores;
using Automation.Effects;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Microsoft.Extensions.Options;

namespace Automation.Email;

/// <summary>
/// Sends through the store's SMTP server with MailKit. The send is recorded in the effect ledger under the
/// message's idempotency key, and the Message-Id is derived from that key, so a retry after a crash between
/// "sent" and "recorded" carries the same Message-Id and a receiving system can recognise it.
/// </summary>
public sealed class SmtpEmailSender(StoreSettings<EmailOptions> settings, EffectLedger ledger, ILogger<SmtpEmailSender> logger) : IEmailSender
{
    public async Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var messageId = await ledger.RunOnceAsync(message.StoreId, "email:" + message.IdempotencyKey, async (_, ct) =>
        {
            var options = settings.For(message.StoreId);
            var mime = Build(message, options);
            using var client = new SmtpClient();
            await client.ConnectAsync(options.SmtpHost, options.SmtpPort, Enum.Parse<SecureSocketOptions>(options.Security, ignoreCase: true), ct);
            if (!string.IsNullOrEmpty(options.UserName))
            {
                await client.AuthenticateAsync(options.UserName, options.Password ?? "", ct);
            }

            await client.SendAsync(mime, ct);
            await client.DisconnectAsync(quit: true, ct);
            // Subjects can carry a customer's name, so only the message id (a hash) is logged.
            logger.LogInformation("Sent message {MessageId} for store {StoreId}", mime.MessageId, message.StoreId);
            return mime.MessageId;
        }, cancellationToken);
        return messageId ?? "";
    }

    internal static MimeMessage Build(EmailMessage message, EmailOptions options)
    {
        var mime = new MimeMessage
        {
            Subject = message.Subject,
            MessageId = $"{Storage.StorageKeys.Hash(message.StoreId + ":" + message.IdempotencyKey)}@automation",
        };
        mime.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        mime.To.Add(MailboxAddress.Parse(message.To));
        foreach (var (name, value) in message.Headers)
        {
            mime.Headers.Add(name, value);
        }

        var body = new BodyBuilder { HtmlBody = message.Html, TextBody = message.Text };
        foreach (var attachment in message.Attachments)
        {
            body.Attachments.Add(attachment.FileName, attachment.Content, ContentType.Parse(attachment.ContentType));
        }

        mime.Body = body.ToMessageBody();
        return mime;
    }
}

public static class EmailRegistration
{
    public static IServiceCollection AddEmail(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EmailOptions>().Bind(configuration.GetSection(EmailOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        // A store's SMTP settings: Stores:{id}:Email over the deployment's Email section.
        services.AddSingleton(new StoreSettings<EmailOptions>(configuration, EmailOptions.Section));
        services.AddSingleton<IEmailSender, SmtpEmailSender>();

        // Templates: the catalog of every area's emails (built-ins checked at start), stores' branding (validated at
        // start) and overrides (from Blob storage, checked when loaded), and the preview endpoints.
        services.AddStoreSettings<BrandingOptions>(configuration, BrandingOptions.Section, (o, where) => o.Validate(where));
        services.AddOptions<EmailTemplateOptions>().Bind(configuration.GetSection(EmailTemplateOptions.Section)).ValidateOnStart()
            .Validate(o => o.RefreshInterval >= TimeSpan.Zero, "EmailTemplates:RefreshInterval must not be negative.")
            .Validate(o => o.MaxBytes > 0, "EmailTemplates:MaxBytes must be positive.");
        services.AddSingleton<EmailTemplateCatalog>();
        services.AddSingleton<IValidateOptions<EmailTemplateOptions>>(sp => new BuiltInTemplatesValidator(sp.GetRequiredService<EmailTemplateCatalog>()));
        services.AddSingleton<EmailTemplateOverrides>();
        services.AddSingleton<EmailRenderer>();
        return services;
    }
}

/// <summary>The built-in templates parse, or the app does not start (a release bug, caught by the tests first).</summary>
internal sealed class BuiltInTemplatesValidator(EmailTemplateCatalog catalog) : IValidateOptions<EmailTemplateOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailTemplateOptions options) =>
        catalog.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(catalog.Problems);
}
