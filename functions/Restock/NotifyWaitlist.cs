using System.Globalization;
using Automation.Flows;
using Automation.Restock.Activities;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Automation.Restock;

/// <summary>One restock's run through a variant's waitlist, and how far it got (carried from batch to batch).</summary>
// WARNING: the input of running NotifyWaitlistV1 instances, and of each of their ContinueAsNew. Add properties only.
public sealed record WaitlistRun(string StoreId, long VariantId, int Episode, DateTimeOffset StartedAt)
{
    public int Batch { get; init; } = 1;

    /// <summary>Subscribers told by the batches before this one.</summary>
    public int Told { get; init; }

    /// <summary>The flow's history so far, so the operator sees every batch although each starts a new execution.</summary>
    public IReadOnlyList<FlowHistoryEntry> History { get; init; } = [];

    /// <summary>One instance per variant and restock episode: starting it twice is starting it once.</summary>
    public static string InstanceIdFor(string storeId, long variantId, int episode) =>
        string.Create(CultureInfo.InvariantCulture, $"waitlist-{storeId}-{variantId}-{episode}");
}

/// <summary>
/// Back in stock, as the merchant would draw it: re-check the stock → tell the next subscribers, as many as the stock
/// can serve → wait the batch interval → again, until everyone waiting has been told, the variant sold out again (the
/// next restock resumes where this ended: subscribers already told are off the list) or a newer restock took over.
/// Started by <see cref="ActOnBackInStock"/>.
/// </summary>
/// <remarks>
/// Versioned by name: in-flight instances replay the code they started with, so a change to the order or kind of
/// steps is a new <c>NotifyWaitlistV2</c>, and V1 stays until its last instance has ended.
/// </remarks>
public static class NotifyWaitlist
{
    public const string Flow = "back-in-stock";

    /// <summary>
    /// Rides out an SMTP or storage outage, or an effect another copy holds (its lease), of about half an hour: 11 retries
    /// 5 s, 10 s, 20 s … apart, at most 5 minutes apart. The flow is never stranded by a short outage.
    /// </summary>
    public static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 12, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

    [Function(nameof(NotifyWaitlistV1))]
    public static async Task NotifyWaitlistV1([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var run = context.GetInput<WaitlistRun>() ?? throw new InvalidOperationException($"{nameof(NotifyWaitlistV1)} needs a {nameof(WaitlistRun)} input.");
        var journal = new FlowJournal(context, run.StoreId, Flow, version: 1, run.StartedAt, run.History);
        var step = string.Create(CultureInfo.InvariantCulture, $"batch {run.Batch}");
        try
        {
            // Re-check: still on sale, in the restock this run serves.
            var stock = await context.CallActivityAsync<WaitlistStock>(nameof(CheckWaitlistStock), new WaitlistVariant(run.StoreId, run.VariantId), Retry);
            if (stock.StopReason(run.Episode) is { } stop)
            {
                Exit(journal, step, run, stop);
                return;
            }

            // Tell the next subscribers, as many as the stock can serve.
            var size = stock.Pacing.BatchSizeFor(stock.Available);
            var batch = await context.CallActivityAsync<WaitlistBatchResult>(nameof(NotifyNextWaitlistBatch), new WaitlistBatch(run.StoreId, run.VariantId, run.Episode, run.Batch, size), Retry);
            if (batch.StoppedBecause is { } stopped)
            {
                Exit(journal, step, run, stopped);
                return;
            }

            var told = run.Told + batch.Told;
            journal.Record(step, "Done", string.Create(CultureInfo.InvariantCulture, $"told {batch.Told} of a batch of {size} ({stock.Available} in stock); {told} in all"));
            if (batch.Told < size)
            {
                journal.End(FlowState.Completed, string.Create(CultureInfo.InvariantCulture, $"everyone waiting was told ({told})"));
                return;
            }

            // Wait, so the stock can sell before more people hear; then the next batch, in a fresh execution (short history).
            var next = context.CurrentUtcDateTime + stock.Pacing.BatchInterval;
            journal.Waiting("wait for the next batch", new DateTimeOffset(next, TimeSpan.Zero));
            await context.CreateTimer(next, CancellationToken.None);
            context.ContinueAsNew(run with { Batch = run.Batch + 1, Told = told, History = journal.Progress.History });
        }
        catch (TaskFailedException failed)
        {
            // Retries exhausted. Only the error's type: messages can carry an address (e.g. an SMTP rejection).
            journal.Record(step, "Failed", failed.FailureDetails.ErrorType);
            journal.End(FlowState.Failed, $"{failed.TaskName} kept failing; the next restock resumes where this run ended");
            throw;
        }
    }

    private static void Exit(FlowJournal journal, string step, WaitlistRun run, string reason)
    {
        journal.Record(step, "Stopped", reason);
        journal.End(FlowState.Exited, string.Create(CultureInfo.InvariantCulture, $"{reason} ({run.Told} told)"));
    }
}
