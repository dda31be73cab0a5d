using System.ComponentModel.DataAnnotations;
using Automation.LocalHost.Configuration;
using Microsoft.Extensions.Options;

namespace Automation.LocalHost.Queues;

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

    internal sealed class Validator : IValidateOptions<QueuesOptions>
    {
        public ValidateOptionsResult Validate(string? name, QueuesOptions options)
        {
            var errors = new List<string>();
            if (options.MaxPollingInterval < TimeSpan.FromMilliseconds(100)) errors.Add("extensions.queues.maxPollingInterval must be at least 00:00:00.1.");
            if (options.VisibilityTimeout < TimeSpan.Zero || options.VisibilityTimeout > TimeSpan.FromDays(7)) errors.Add("extensions.queues.visibilityTimeout must be between 0 and 7 days.");
            if (options.MessageEncoding is not ("base64" or "none")) errors.Add($"extensions.queues.messageEncoding must be 'base64' or 'none', not '{options.MessageEncoding}'.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
