namespace Automation.Returns;

public static class ReturnQueues
{
    /// <summary>Decided returns whose effects are still to be carried out.</summary>
    public const string Actions = "return-actions";
}

/// <summary>A return was decided and recorded; its effects are carried out from the <c>return-actions</c> queue.</summary>
// WARNING: a message in flight; add properties, never rename them.
public sealed record ReturnDecided
{
    public required string Id { get; init; }
    public required string StoreId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string Rma { get; init; }
    public int SchemaVersion { get; init; } = 1;
}
