using System.ComponentModel.DataAnnotations;

namespace Automation.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Larger bodies are refused with 413.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Days raw deliveries are kept for inspection and replay (and how long a duplicate is recognised).</summary>
    [Range(1, 365)]
    public int RetentionDays { get; set; } = 14;

    /// <summary>
    /// How long the copy of a delivery that is processing it holds it: a copy that arrives meanwhile waits, and a copy
    /// whose process died is taken over once this has passed. Longer than processing one delivery takes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ProcessingLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Envelopes larger than this put the body in blob storage (a queue message holds 48 KiB of base64-encoded text).</summary>
    [Range(1024, 48 * 1024)]
    public int InlineLimitBytes { get; set; } = 45 * 1024;
}
