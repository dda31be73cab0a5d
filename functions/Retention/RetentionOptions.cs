using System.ComponentModel.DataAnnotations;

namespace Automation.Retention;

/// <summary>
/// <c>Retention:*</c>: how long each kind of row is kept, in days, counted from when it was last active (see the
/// README's "Retention and erasure" table). Raw webhook deliveries keep their own <c>Webhooks:RetentionDays</c>.
/// The lower bounds are what the app needs to stay correct (e.g. an effect's record must outlive every retry of it).
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// Effect records (the exactly-once ledger). Longer than any flow can take to retry a step: a return waits up to
    /// 30 days for review, and a kept delivery can be replayed for <c>Webhooks:RetentionDays</c>.
    /// </summary>
    [Range(45, 3650)]
    public int EffectDays { get; set; } = 90;

    /// <summary>The newest <c>updated_at</c> seen per resource (stale-delivery check); platforms stop retrying within days.</summary>
    [Range(3, 3650)]
    public int ResourceVersionDays { get; set; } = 30;

    /// <summary>Abandoned-checkout customers (hashed email, last order, pointers) and ended flows' outcomes (stats, attribution).</summary>
    [Range(30, 3650)]
    public int RecoveryDays { get; set; } = 180;

    /// <summary>A waitlist signup still waiting after this long expires; a finished one's trace goes this long after it finished.</summary>
    [Range(30, 3650)]
    public int WaitlistDays { get; set; } = 365;

    /// <summary>Returns (the case with the customer's email and address), their index rows and their label PDFs.</summary>
    [Range(60, 3650)]
    public int ReturnDays { get; set; } = 365;

    /// <summary>Records of what a sell-out did to the storefront, once the variant is back in stock.</summary>
    [Range(30, 3650)]
    public int SoldOutEpisodeDays { get; set; } = 180;

    /// <summary>Received or cancelled purchase orders (open ones are kept).</summary>
    [Range(30, 3650)]
    public int PurchaseOrderDays { get; set; } = 365;

    /// <summary>The record of each compliance request (proof it was handled; customer ids, no email).</summary>
    [Range(30, 3650)]
    public int ComplianceDays { get; set; } = 1095;

    /// <summary>Ended (completed, failed, terminated) Durable orchestrations: their history, inputs and outputs.</summary>
    [Range(1, 3650)]
    public int FlowDays { get; set; } = 30;

    /// <summary>Messages moved to <c>&lt;queue&gt;-poison</c> expire after this long (the queue service deletes them).</summary>
    [Range(1, 3650)]
    public int PoisonDays { get; set; } = 14;
}
