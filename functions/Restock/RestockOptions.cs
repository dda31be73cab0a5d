namespace Automation.Restock;

/// <summary><c>Restock:*</c>, overridable per store under <c>Stores:{id}:Restock:*</c>.</summary>
public sealed class RestockOptions
{
    public const string Section = "Restock";

    /// <summary>Subscribers told per unit in stock in each batch (e.g. 2: twice as many as the units, since not everyone buys).</summary>
    public double SubscribersPerUnit { get; set; } = 1;

    /// <summary>Largest batch, however much comes back.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>Wait between batches, so the stock can sell before more people are told.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Emails sent at the same time within a batch.</summary>
    public int SendConcurrency { get; set; } = 8;

    /// <summary>Public base URL of this app, for the unsubscribe link (e.g. https://automation.example.com).</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Signups allowed per client IP address per hour.</summary>
    public int SignupsPerIpPerHour { get; set; } = 20;

    /// <summary>Signups allowed per email address per hour (over all products).</summary>
    public int SignupsPerEmailPerHour { get; set; } = 5;

    public IEnumerable<string> Validate(string where)
    {
        if (SubscribersPerUnit is <= 0 or > 1000) yield return $"{where}:SubscribersPerUnit must be more than 0 and at most 1000.";
        if (MaxBatchSize is < 1 or > 100_000) yield return $"{where}:MaxBatchSize must be 1 to 100000.";
        if (BatchInterval < TimeSpan.Zero || BatchInterval > TimeSpan.FromDays(30)) yield return $"{where}:BatchInterval must be between 0 and 30 days.";
        if (SendConcurrency is < 1 or > 64) yield return $"{where}:SendConcurrency must be 1 to 64.";
        if (PublicBaseUrl is { Length: > 0 } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")))
            yield return $"{where}:PublicBaseUrl must be an absolute http(s) URL.";
        if (SignupsPerIpPerHour < 1) yield return $"{where}:SignupsPerIpPerHour must be at least 1.";
        if (SignupsPerEmailPerHour < 1) yield return $"{where}:SignupsPerEmailPerHour must be at least 1.";
    }
}
