using System.Text.Json;
using Automation.Runtime;
using Azure;
using Azure.Data.Tables;

namespace Automation.Flows;

public enum FlowStatus
{
    /// <summary>Waiting for its next wake-up (a wait, or a step delayed until later).</summary>
    Waiting,

    /// <summary>Ran every step.</summary>
    Completed,

    /// <summary>Ended early: an exit event, a re-check that failed, or a replacement.</summary>
    Exited,

    /// <summary>Never started: a start condition said no (the reason is in the history).</summary>
    Skipped,
}

/// <summary>
/// One running (or ended) flow: one row in the <c>Flows</c> table, PartitionKey = store id, RowKey = flow id,
/// updated with ETag concurrency. <see cref="WakeId"/> names the wake-up message the flow waits for: any other
/// (late or duplicate) wake-up is a no-op.
/// </summary>
// WARNING: these are stored rows; add properties, never rename them.
public sealed class FlowInstance : ITableEntity
{
    public const int MaxHistory = 100;

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Definition { get; set; } = "";
    public int DefinitionVersion { get; set; }
    public string Status { get; set; } = nameof(FlowStatus.Waiting);
    public int Step { get; set; }
    public string StepName { get; set; } = "";
    public DateTimeOffset? NextDueAt { get; set; }
    public int WakeId { get; set; }

    /// <summary>The wake-up whose processing armed the current wait (0: the start), so its retry can re-send a lost wake-up.</summary>
    public int ArmedBy { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? EndReason { get; set; }

    /// <summary>Who the flow is about, as the automation keys it (a hash, never personal data in clear).</summary>
    public string? Subject { get; set; }
    public string State { get; set; } = "{}";
    public string History { get; set; } = "[]";

    public string StoreId => PartitionKey;
    public string FlowId => RowKey;
    public FlowStatus StatusValue => Enum.Parse<FlowStatus>(Status);
    public bool IsActive => StatusValue == FlowStatus.Waiting;

    public List<FlowHistoryEntry> ReadHistory() => JsonSerializer.Deserialize<List<FlowHistoryEntry>>(History, Json.Options) ?? [];

    public void AddHistory(FlowHistoryEntry entry) => AddHistory([entry]);

    public void AddHistory(IReadOnlyCollection<FlowHistoryEntry> entries)
    {
        if (entries.Count == 0) return;
        var history = ReadHistory();
        history.AddRange(entries);
        if (history.Count > MaxHistory) history.RemoveRange(0, history.Count - MaxHistory);
        History = JsonSerializer.Serialize(history, Json.Options);
    }

    public void End(FlowStatus status, string reason, DateTimeOffset at)
    {
        Status = status.ToString();
        EndReason = reason;
        EndedAt = at;
        NextDueAt = null;
        UpdatedAt = at;
    }
}
