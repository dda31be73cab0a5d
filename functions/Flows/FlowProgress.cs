using Automation.Runtime;
using Microsoft.DurableTask;

namespace Automation.Flows;

/// <summary>A flow's state as its operator sees it.</summary>
public enum FlowState
{
    /// <summary>Waiting for a time or an event, or running a step.</summary>
    Waiting,

    /// <summary>Ran every step.</summary>
    Completed,

    /// <summary>Ended early: an exit event (order placed, unsubscribed, …), a re-check that said no, or a replacement.</summary>
    Exited,

    /// <summary>Never started: a start condition said no (the reason says which).</summary>
    Skipped,

    /// <summary>Stopped by an error that the flow could not get past (the runtime status says Failed).</summary>
    Failed,
}

/// <summary>One line of a flow's history: what a step did and why.</summary>
public sealed record FlowHistoryEntry(DateTimeOffset At, string Step, string Outcome, string Note);

/// <summary>
/// What every orchestration keeps as its Durable custom status, and what <c>GET /api/flows/{storeId}/{flowId}</c> shows:
/// the flow, where it is, what it did and why — never personal data (custom status is readable by anyone holding the
/// admin key, and kept with the instance).
/// </summary>
// WARNING: kept as the custom status of running instances; add properties, never rename them.
public sealed record FlowProgress
{
    public const int MaxHistory = 40;

    public required string StoreId { get; init; }
    public required string Flow { get; init; }
    public int Version { get; init; }
    public FlowState State { get; init; } = FlowState.Waiting;
    public string? Step { get; init; }
    public DateTimeOffset? NextDueAt { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? EndReason { get; init; }
    public IReadOnlyList<FlowHistoryEntry> History { get; init; } = [];
}

/// <summary>
/// Keeps an orchestration's <see cref="FlowProgress"/> as it goes, with the orchestration's own clock: deterministic,
/// so safe to call on every replay (only the last value set is stored, with the instance, at no extra storage cost).
/// </summary>
public sealed class FlowJournal
{
    private readonly TaskOrchestrationContext _context;
    private FlowProgress _progress;

    public FlowJournal(TaskOrchestrationContext context, string storeId, string flow, int version, DateTimeOffset startedAt, IReadOnlyList<FlowHistoryEntry>? history = null)
    {
        _context = context;
        _progress = new FlowProgress { StoreId = storeId, Flow = flow, Version = version, StartedAt = startedAt, History = history ?? [] };
        Publish();
        // Counted once: not on replays, and not when a flow goes on as a new generation with its history (ContinueAsNew).
        if (!context.IsReplaying && _progress.History.Count == 0) AutomationTelemetry.FlowStarted(flow, storeId);
    }

    public FlowProgress Progress => _progress;

    private DateTimeOffset Now => new(_context.CurrentUtcDateTime, TimeSpan.Zero);

    /// <summary>Records what a step did (Done, Skipped, Delayed, …) and why.</summary>
    public void Record(string step, string outcome, string note)
    {
        var history = _progress.History.Append(new FlowHistoryEntry(Now, step, outcome, note)).TakeLast(FlowProgress.MaxHistory).ToList();
        _progress = _progress with { Step = step, NextDueAt = null, History = history };
        Publish();
    }

    /// <summary>The flow now waits at <paramref name="step"/> until <paramref name="until"/> (or an event).</summary>
    public void Waiting(string step, DateTimeOffset until)
    {
        _progress = _progress with { Step = step, NextDueAt = until };
        Publish();
    }

    public void End(FlowState state, string reason)
    {
        _progress = _progress with { State = state, EndReason = reason, EndedAt = Now, NextDueAt = null };
        Publish();
        if (!_context.IsReplaying) AutomationTelemetry.FlowEnded(_progress.Flow, _progress.StoreId, state.ToString(), completed: state == FlowState.Completed);
    }

    private void Publish() => _context.SetCustomStatus(_progress);
}
