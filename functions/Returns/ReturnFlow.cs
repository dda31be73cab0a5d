using Automation.Stores;

namespace Automation.Returns;

// The orchestration's contract: its input, what its activities take and give back, and its external event. All of it
// is kept in the history of running instances (with Runtime/Json's settings), and none of it is personal data: ids,
// the RMA, the outcome and the rule, never an address, an email or a label link.
// WARNING: instances in flight replay with these shapes; add properties, never rename or remove them. A change that
// running instances could not replay is a new orchestrator (CarryOutReturnV2), see the README.

/// <summary>The input of <c>CarryOutReturnV1</c>: which return to carry out. The rest is read by its first activity.</summary>
public sealed record CarryOutReturn(string StoreId, string Rma);

/// <summary>What every return activity is given: the return, and the Shopify ids earlier steps made.</summary>
public sealed record ReturnStepInput(string StoreId, string Rma)
{
    /// <summary>The Shopify Return the decision is recorded on (from the customer's request or from <c>RequestShopifyReturn</c>).</summary>
    public string? ShopifyReturnId { get; init; }

    /// <summary>The reverse fulfillment order <c>ApproveShopifyReturn</c> got back, for the label.</summary>
    public string? ReverseFulfillmentOrderId { get; init; }

    /// <summary>For <c>FlagReturnForOperator</c>: what stopped the flow.</summary>
    public string? Problem { get; init; }
}

public enum ReturnStepStatus
{
    /// <summary>The step's effect happened (now, or in an earlier attempt the ledger remembers).</summary>
    Done,

    /// <summary>Nothing to do for this return (the note says why).</summary>
    Skipped,

    /// <summary>A failure no retry fixes (the platform refused, a setting is gone): the flow stops and an operator is told.</summary>
    Refused,

    /// <summary>The return no longer exists: erased on the customer's request.</summary>
    Gone,
}

/// <summary>What an activity did, in words for the flow's history, and what it made that later steps need.</summary>
public sealed record ReturnStepResult(ReturnStepStatus Status, string Note)
{
    /// <summary>The platform id the step made or found (a Shopify Return, a reverse fulfillment order).</summary>
    public string? Id { get; init; }

    /// <summary>From <c>ReadReturnDecision</c>: what the decision asks for.</summary>
    public ReturnPlan? Plan { get; init; }

    public static ReturnStepResult Done(string note, string? id = null) => new(ReturnStepStatus.Done, note) { Id = id };

    public static ReturnStepResult Skipped(string note) => new(ReturnStepStatus.Skipped, note);
}

/// <summary>The decision as the orchestration branches on it: which steps this return needs.</summary>
/// <param name="ShopifyReturnId">The Shopify Return the customer asked in (null for self-service).</param>
/// <param name="Label">A label to make (approved returns).</param>
/// <param name="ExchangeCode">A free-shipping code for the replacement (an approved or kept exchange).</param>
/// <param name="Refund">A refund now (kept items, when the store refunds automatically).</param>
/// <param name="EmailWarehouse">The receiving warehouse has an address to tell.</param>
public sealed record ReturnPlan(
    ReturnOutcome Outcome,
    string Rule,
    Platform Platform,
    string? ShopifyReturnId,
    bool Label,
    bool ExchangeCode,
    bool Refund,
    bool EmailWarehouse);

/// <summary>The external event <c>ReviewReturns</c> raises when an operator decides a return held for review.</summary>
public sealed record ReturnReviewed(ReturnOutcome Outcome, string Rule);
