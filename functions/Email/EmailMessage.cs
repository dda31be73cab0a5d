namespace Automation.Email;

public sealed record EmailAttachment(string FileName, string ContentType, byte[] Content);

/// <summary>One email to one recipient. The idempotency key makes the send happen once however often it is retried.</summary>
public sealed record EmailMessage(string StoreId, string IdempotencyKey, string To, string Subject, string Html, string Text)
{
    public IReadOnlyList<EmailAttachment> Attachments { get; init; } = [];

    /// <summary>Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>The port automations send mail through.</summary>
public interface IEmailSender
{
    /// <summary>Sends once per <see cref="EmailMessage.IdempotencyKey"/>; a repeated call returns the first send's Message-Id.</summary>
    Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken);
}
