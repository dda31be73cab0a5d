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
        // The connection outlives the ledger's record: QUIT (and the log line) come after the send is recorded, so a crash
        // between the server's "250 queued" and the record — the one window in which a retry sends the email again, under
        // the same Message-Id — is as short as the ledger's write.
        using var client = new SmtpClient();
        string? messageId;
        var sent = false;
        try
        {
            messageId = await ledger.RunOnceAsync(message.StoreId, "email:" + message.IdempotencyKey, async (_, ct) =>
            {
                var options = settings.For(message.StoreId);
                var mime = Build(message, options);
                try
                {
                    await client.ConnectAsync(options.SmtpHost, options.SmtpPort, Enum.Parse<SecureSocketOptions>(options.Security, ignoreCase: true), ct);
                    if (!string.IsNullOrEmpty(options.UserName))
                    {
                        await client.AuthenticateAsync(options.UserName, options.Password ?? "", ct);
                    }

                    await client.SendAsync(mime, ct);
                    sent = true;
                }
                catch (SmtpCommandException ex)
                {
                    // The server's words often quote the address ("<ann@…>: Recipient address rejected"), and this exception
                    // ends up in logs and in Durable's history: keep its codes, not its text.
                    throw new SmtpCommandException(ex.ErrorCode, ex.StatusCode, $"The SMTP server answered {(int)ex.StatusCode} ({ex.ErrorCode}).");
                }

                return mime.MessageId;
            }, cancellationToken);
        }
        finally
        {
            await QuitQuietlyAsync(client);
        }

        // Subjects can carry a customer's name, so only the message id (a hash) is logged.
        if (sent) logger.LogInformation("Sent message {MessageId} for store {StoreId}", messageId, message.StoreId);
        return messageId ?? "";
    }

    /// <summary>Ends the session politely once the send is recorded; the message is the server's already, so a failure here changes nothing.</summary>
    private static async Task QuitQuietlyAsync(SmtpClient client)
    {
        if (!client.IsConnected) return;
        try
        {
            using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(quit: true, quit.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SmtpProtocolException or SmtpCommandException or System.Net.Sockets.SocketException)
        {
            // Nothing to do: the connection closes with the client.
        }
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
