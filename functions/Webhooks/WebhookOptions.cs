using System.ComponentModel.DataAnnotations;

namespace Automation.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Larger bodies are refused with 413.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long raw deliveries are kept for inspection and replay (and how long a duplicate is recognised).</summary>
    [Range(1, 365)]
    public int RetentionDays { get; set; } = 14;

    /// <summary>Envelopes larger than this put the body in blob storage (a queue message holds 48 KiB of base64-encoded text).</summary>
    [Range(1024, 48 * 1024)]
    public int InlineLimitBytes { get; set; } = 45 * 1024;
}
