using Microsoft.Extensions.Options;

using System.ComponentModel.DataAnnotations;

namespace Automation.Hosting;

/// <summary>host.json <c>extensions.queues</c>, with the Functions defaults (Storage Queues extension 5.x).</summary>
public sealed class QueuesOptions
{
    public const string Section = FunctionsConfiguration.JobHostSection + ":extensions:queues";

    [Range(1, 32)] public int BatchSize { get; set; } = 16;

    /// <summary>Fetch the next batch once this many or fewer are still running. Null: batchSize/2 × processors, as the extension's code does.</summary>
    [Range(0, 1024)] public int? NewBatchThreshold { get; set; }

    [Range(1, 1000)] public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a failed message stays invisible before its retry.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;

    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>"base64" (default, what a real Functions consumer expects) or "none".</summary>
    public string MessageEncoding { get; set; } = "base64";

    public int EffectiveNewBatchThreshold => NewBatchThreshold ?? BatchSize / 2 * Environment.ProcessorCount;
}

/// <summary>host.json <c>singleton</c> (timer listeners' blob lease).</summary>
public sealed class SingletonOptions
{
    public const string Section = FunctionsConfiguration.JobHostSection + ":singleton";

    public TimeSpan ListenerLockPeriod { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan ListenerLockRecoveryPollingInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Settings of our own host that the Functions host hard-codes.</summary>
public sealed class HostingOptions
{
    public const string Section = "Hosting";

    /// <summary>Invisibility taken on a received message, renewed at half-time while the function runs (Functions: 10 minutes).</summary>
    public TimeSpan MessageLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>On shutdown, how long in-flight invocations may finish before they are cancelled and their messages released.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public static void Validate(QueuesOptions queues, SingletonOptions singleton, HostingOptions hosting)
    {
        var errors = new List<string>();
        if (queues.MaxPollingInterval < TimeSpan.FromMilliseconds(100)) errors.Add("extensions.queues.maxPollingInterval must be at least 00:00:00.1.");
        if (queues.VisibilityTimeout < TimeSpan.Zero || queues.VisibilityTimeout > TimeSpan.FromDays(7)) errors.Add("extensions.queues.visibilityTimeout must be between 0 and 7 days.");
        if (queues.MessageEncoding is not ("base64" or "none")) errors.Add($"extensions.queues.messageEncoding must be 'base64' or 'none', not '{queues.MessageEncoding}'.");
        if (singleton.ListenerLockPeriod < TimeSpan.FromSeconds(15) || singleton.ListenerLockPeriod > TimeSpan.FromSeconds(60)) errors.Add("singleton.listenerLockPeriod must be 15 to 60 seconds (a blob lease's range).");
        if (hosting.MessageLease < TimeSpan.FromSeconds(1)) errors.Add("Hosting:MessageLease must be at least one second.");
        if (errors.Count > 0) throw new OptionsValidationException("host.json", typeof(QueuesOptions), errors);
    }
}
