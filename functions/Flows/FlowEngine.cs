using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Flows;

public enum FlowStartOutcome { Started, AlreadyExists }

/// <summary>
/// Runs flows durably on a table and a queue. A flow advances only while a wake-up message is being processed,
/// so a crash at any point leaves that message to be retried: steps run at least once, and their effects, keyed
/// by flow id + step through the effect ledger, happen once. The row is written once per wake-up, after the
/// steps, with the ETag it was read with; a concurrent exit or update makes the write fail and the wake-up start over.
/// </summary>
public sealed class FlowEngine(StorageClients storage, IFlowTimers timers, IEnumerable<IFlowDefinition> definitions, FlowHooks hooks, TimeProvider time, ILogger<FlowEngine> logger)
{
    public const string TableName = "Flows";

    /// <summary>Tolerance for a wake-up that arrives a moment before its due time (clock skew between instances).</summary>
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromSeconds(1);

    private readonly Dictionary<(string, int), IFlowDefinition> _definitions = definitions.ToDictionary(d => (d.Name, d.Version));

    public Task<TableClient> TableAsync() => storage.TableAsync(TableName);

    /// <summary>
    /// Starts a flow at its first step. The row is inserted together with <paramref name="alsoWrite"/> (rows of the
    /// same partition in the Flows table, e.g. the automation's index of who has a flow) in one transaction.
    /// Returns <see cref="FlowStartOutcome.AlreadyExists"/> when a row with this id exists (a duplicate start).
    /// </summary>
    public async Task<FlowStartOutcome> StartAsync<TState>(FlowDefinition<TState> definition, string storeId, string flowId, TState state, string? subject, string note,
        IReadOnlyList<TableTransactionAction>? alsoWrite, CancellationToken cancellationToken, ETag? replacing = null) where TState : class
    {
        var row = NewFlow(definition, storeId, flowId, state, subject, note);
        var table = await TableAsync();
        var actions = new List<TableTransactionAction>
        {
            replacing is { } etag ? new(TableTransactionActionType.UpdateReplace, row, etag) : new(TableTransactionActionType.Add, row),
        };
        if (alsoWrite is not null) actions.AddRange(alsoWrite);
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && ex.FailedTransactionActionIndex == 0)
        {
            return FlowStartOutcome.AlreadyExists;
        }

        await ArmAsync(row, cancellationToken);
        logger.LogInformation("Flow {Definition} v{Version} {FlowId} started for store {StoreId}", definition.Name, definition.Version, flowId, storeId);
        return FlowStartOutcome.Started;
    }

    /// <summary>
    /// For a start that is being retried (its message was delivered before): if the flow is still where the start
    /// left it, the first wake-up may never have been sent, so send it (a duplicate wake-up is a no-op).
    /// </summary>
    public async Task RearmIfUnstartedAsync(FlowInstance row, CancellationToken cancellationToken)
    {
        if (row.IsActive && row.WakeId == 1 && row.ArmedBy == 0) await ArmAsync(row, cancellationToken);
    }

    /// <summary>The row of a flow at its start, armed for its first step (the bench seeds waiting flows with it).</summary>
    internal FlowInstance NewFlow<TState>(FlowDefinition<TState> definition, string storeId, string flowId, TState state, string? subject, string note) where TState : class
    {
        var now = time.GetUtcNow();
        var row = StartRow(definition, storeId, flowId, state, subject, now);
        row.UpdatedAt = now;
        row.WakeId = 1;
        row.ArmedBy = 0;
        row.AddHistory(new FlowHistoryEntry(now, "start", "Started", note));
        Arm(row, definition, 0, now);
        return row;
    }

    /// <summary>Records a flow that a start condition refused, so an operator can see why nothing was sent.</summary>
    public async Task RecordSkippedAsync<TState>(FlowDefinition<TState> definition, string storeId, string flowId, TState state, string? subject, string reason, CancellationToken cancellationToken, ETag? replacing = null)
        where TState : class
    {
        var now = time.GetUtcNow();
        var row = StartRow(definition, storeId, flowId, state, subject, now);
        row.End(FlowStatus.Skipped, reason, now);
        row.AddHistory(new FlowHistoryEntry(now, "start", "Skipped", reason));
        var table = await TableAsync();
        try
        {
            if (replacing is { } etag) await table.UpdateEntityAsync(row, etag, TableUpdateMode.Replace, cancellationToken);
            else await table.AddEntityAsync(row, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Someone recorded or started it meanwhile: theirs stands.
        }
    }

    /// <summary>A flow's row as it begins: which definition and version it runs, for whom, and its state.</summary>
    private static FlowInstance StartRow<TState>(FlowDefinition<TState> definition, string storeId, string flowId, TState state, string? subject, DateTimeOffset now)
        where TState : class => new()
        {
            PartitionKey = storeId,
            RowKey = flowId,
            Definition = definition.Name,
            DefinitionVersion = definition.Version,
            StartedAt = now,
            Subject = subject,
            State = FlowStateJson.Serialize(state),
        };

    public async Task<FlowInstance?> GetAsync(string storeId, string flowId, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var row = await table.GetEntityIfExistsAsync<FlowInstance>(storeId, flowId, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Ends a waiting flow at once. A wake-up that arrives later finds it ended and does nothing.</summary>
    public async Task<bool> ExitAsync(string storeId, string flowId, string exit, string note, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await GetAsync(storeId, flowId, cancellationToken);
            if (row is null || !row.IsActive) return false;
            var definition = Find(row);
            if (definition is not null && !definition.ExitsOn.Contains(exit))
                throw new InvalidOperationException($"Flow {row.Definition} v{row.DefinitionVersion} does not declare the exit '{exit}'.");

            var now = time.GetUtcNow();
            row.AddHistory(new FlowHistoryEntry(now, row.StepName, "Exited", $"{exit}: {note}"));
            row.End(FlowStatus.Exited, exit, now);
            try
            {
                await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
                logger.LogInformation("Flow {FlowId} of store {StoreId} exited: {Exit}", flowId, storeId, exit);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Changed meanwhile (a step ran or the state was updated): look again.
            }
        }

        throw new InvalidOperationException($"Flow {flowId} kept changing while exiting; retry.");
    }

    /// <summary>Replaces a waiting flow's state (e.g. the checkout changed). Returns false when the flow is not active.</summary>
    public async Task<bool> UpdateStateAsync<TState>(string storeId, string flowId, Func<TState, TState?> update, string note, CancellationToken cancellationToken) where TState : class
    {
        var table = await TableAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await GetAsync(storeId, flowId, cancellationToken);
            if (row is null) return false;
            var next = update(FlowStateJson.Deserialize<TState>(row.State));
            if (next is null) return false;
            row.State = FlowStateJson.Serialize(next);
            row.UpdatedAt = time.GetUtcNow();
            if (note.Length > 0) row.AddHistory(new FlowHistoryEntry(row.UpdatedAt, row.StepName, "Updated", note));
            try
            {
                await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
            }
        }

        throw new InvalidOperationException($"Flow {flowId} kept changing while updating; retry.");
    }

    /// <summary>
    /// Handles a wake-up: runs the flow's due steps up to its next wait or its end, then records them.
    /// <paramref name="isRetry"/> says the same message was delivered before (its earlier attempt failed or died).
    /// </summary>
    public async Task WakeAsync(FlowWakeUp wakeUp, CancellationToken cancellationToken, bool isRetry = false)
    {
        var table = await TableAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await GetAsync(wakeUp.StoreId, wakeUp.FlowId, cancellationToken);
            if (row is null || !row.IsActive)
            {
                logger.LogDebug("Wake-up {WakeId} for flow {FlowId}: the flow has ended or is gone; nothing to do", wakeUp.WakeId, wakeUp.FlowId);
                return;
            }

            if (row.WakeId != wakeUp.WakeId)
            {
                if (isRetry && row.ArmedBy == wakeUp.WakeId)
                {
                    // This wake-up's earlier attempt advanced the row but may have died before arming the next one.
                    // (Only on a retry: a plain duplicate re-arming would keep a duplicate alive for the flow's life.)
                    await ArmAsync(row, cancellationToken);
                }

                return;
            }

            var now = time.GetUtcNow();
            if (row.NextDueAt is { } due && due - now > EarlyTolerance)
            {
                // A long wait arriving in pieces (a queue message waits at most 7 days), or an early delivery.
                await timers.ArmAsync(new FlowWakeUp(row.StoreId, row.FlowId, row.WakeId, due), cancellationToken);
                return;
            }

            var definition = Find(row);
            if (definition is null)
            {
                row.AddHistory(new FlowHistoryEntry(now, row.StepName, "Failed", $"Definition {row.Definition} v{row.DefinitionVersion} is not registered: keep old versions until their flows end."));
                row.End(FlowStatus.Exited, "definition-missing", now);
                await TryReplaceAsync(table, row, cancellationToken);
                return;
            }

            if (await AdvanceAsync(table, row, definition, wakeUp.WakeId, cancellationToken)) return;
        }

        throw new InvalidOperationException($"Flow {wakeUp.FlowId} kept changing while its steps ran; the wake-up will be retried.");
    }

    private async Task<bool> AdvanceAsync(TableClient table, FlowInstance row, IFlowDefinition definition, int wakeId, CancellationToken cancellationToken)
    {
        var history = new List<FlowHistoryEntry>();
        var step = row.Step;
        if (definition.Steps[step].Kind == FlowStepKind.Wait)
        {
            history.Add(new FlowHistoryEntry(time.GetUtcNow(), definition.Steps[step].Name, "Waited", $"until {row.NextDueAt:u}"));
            step++;
        }

        var state = row.State;
        while (true)
        {
            var now = time.GetUtcNow();
            if (step >= definition.Steps.Count)
            {
                row.End(FlowStatus.Completed, "completed", now);
                row.Step = definition.Steps.Count - 1;
                row.StepName = definition.Steps[^1].Name;
                break;
            }

            var info = definition.Steps[step];
            if (info.Kind == FlowStepKind.Wait)
            {
                row.State = state;
                Arm(row, definition, step, now);
                row.WakeId = wakeId + 1;
                row.ArmedBy = wakeId;
                break;
            }

            var context = new FlowContext(row.StoreId, row.FlowId, step, info.Name, now, row.StartedAt);
            var run = await definition.RunAsync(step, context, state, cancellationToken);
            state = run.State;
            var result = run.Result;
            history.Add(new FlowHistoryEntry(time.GetUtcNow(), info.Name, result.Kind.ToString(), result.Note));
            await hooks.AfterStepAsync(context, result, cancellationToken);

            if (result.Kind == StepResultKind.Exit)
            {
                row.Step = step;
                row.StepName = info.Name;
                row.End(FlowStatus.Exited, result.Note, time.GetUtcNow());
                break;
            }

            if (result.Kind == StepResultKind.Delayed)
            {
                row.Step = step;
                row.StepName = info.Name;
                row.NextDueAt = result.At ?? now;
                row.WakeId = wakeId + 1;
                row.ArmedBy = wakeId;
                break;
            }

            step++;
        }

        row.State = state;
        row.UpdatedAt = time.GetUtcNow();
        row.AddHistory(history);
        if (!await TryReplaceAsync(table, row, cancellationToken)) return false;
        if (row.IsActive) await ArmAsync(row, cancellationToken);
        return true;
    }

    private static void Arm(FlowInstance row, IFlowDefinition definition, int step, DateTimeOffset now)
    {
        row.Step = step;
        row.StepName = definition.Steps[step].Name;
        row.NextDueAt = definition.Steps[step].Kind == FlowStepKind.Wait ? now + definition.WaitFor(step, row.State) : now;
    }

    private Task ArmAsync(FlowInstance row, CancellationToken cancellationToken) =>
        timers.ArmAsync(new FlowWakeUp(row.StoreId, row.FlowId, row.WakeId, row.NextDueAt ?? time.GetUtcNow()), cancellationToken);

    private static async Task<bool> TryReplaceAsync(TableClient table, FlowInstance row, CancellationToken cancellationToken)
    {
        try
        {
            await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }

    private IFlowDefinition? Find(FlowInstance row) => _definitions.GetValueOrDefault((row.Definition, row.DefinitionVersion));
}

/// <summary>Points where tests can stand in for a crash (e.g. after a step's effect, before the row is written).</summary>
public class FlowHooks
{
    public virtual Task AfterStepAsync(FlowContext context, StepResult result, CancellationToken cancellationToken) => Task.CompletedTask;
}
