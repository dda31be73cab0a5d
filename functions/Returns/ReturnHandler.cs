using Automation.Stores;

namespace Automation.Returns;

/// <summary>
/// The condition step, shared by every intake: <see cref="DecideAsync"/> applies the rules and records the case once
/// per RMA. What the decision says is then carried out by the <c>CarryOutReturnV1</c> orchestration.
/// </summary>
public sealed class ReturnHandler(ReturnPolicies policies, ReturnCases cases, TimeProvider time, ILogger<ReturnHandler> logger)
{
    /// <summary>Decides and records the return; a request seen before returns its first decision and <c>Created = false</c>.</summary>
    public async Task<(ReturnCase Case, bool Created)> DecideAsync(Store store, ReturnOrder order, ReturnRequest request, string customerEmail, CancellationToken cancellationToken)
    {
        var policy = policies.For(store.Id) ?? throw new InvalidOperationException($"Returns are not set up for store {store.Id}.");
        var requestKey = request.PlatformReturnId is { } returnId ? $"shopify-return:{returnId}" : ReturnCases.RequestKeyFor(order.OrderId, request.Items);
        var rma = ReturnCases.RmaFor(store.Id, requestKey);
        if (await cases.GetAsync(store.Id, rma, cancellationToken) is { } existing) return (existing, false);

        var now = time.GetUtcNow();
        var recent = await cases.CountRecentAsync(store.Id, customerEmail, now - policy.RecentReturnsPeriod, cancellationToken);
        var decision = ReturnRules.Decide(policy, order, request, recent);
        var (warehouse, routedBecause) = decision.Outcome == ReturnOutcome.Approved ? WarehouseRouting.Choose(policy, order, request.Items) : (null, null);
        var returnCase = new ReturnCase
        {
            StoreId = store.Id,
            Rma = rma,
            RequestKey = requestKey,
            Request = request,
            Order = order,
            CustomerEmail = customerEmail,
            Decision = decision,
            WarehouseId = warehouse?.Id,
            RoutedBecause = routedBecause,
        };
        var added = await cases.AddAsync(returnCase, now, cancellationToken);
        if (added.Created)
        {
            logger.LogInformation("Return {Rma} for store {StoreId} order {OrderId}: {Outcome} by rule {Rule}", rma, store.Id, order.OrderId, decision.Outcome, decision.Rule);
        }

        return added;
    }
}
