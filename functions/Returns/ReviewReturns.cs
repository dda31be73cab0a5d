using Automation.Runtime;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.Returns;

public sealed record ReviewDecision(string? Decision, string? Reason, decimal? Fee);

/// <summary>
/// Operator endpoints for returns held for manual review (admin key required): list them (with any return whose flow
/// stopped, <c>status: NeedsAttention</c>, and its <c>problem</c>), then approve (label, platform, emails follow as for
/// any approval), let the customer keep the items, or decline with a reason the customer will read.
/// </summary>
public sealed class ReviewReturns(StoreRegistry stores, ReturnPolicies policies, ReturnCases cases, ILogger<ReviewReturns> logger)
{
    [Function("ListReturns")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/returns/{storeId}")] HttpRequest request, string storeId) =>
        ListAsync(storeId, request.QueryString("outcome"), request.QueryInt("top"), cases, request.HttpContext.RequestAborted);

    [Function("DecideReturn")]
    public async Task<IResult> Decide(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/returns/{storeId}/{rma}/decision")] HttpRequest request,
        string storeId,
        string rma,
        [DurableClient] DurableTaskClient durable) =>
        await request.ReadJsonOrNullAsync<ReviewDecision>() is { } body
            ? await DecideAsync(storeId, rma, body, stores, policies, cases, durable, logger, request.HttpContext.RequestAborted)
            : Results.Problem(detail: "The body must be JSON like {\"decision\": \"approve\"}.", statusCode: StatusCodes.Status400BadRequest);

    private static async Task<IResult> ListAsync(string storeId, string? outcome, int? top, ReturnCases cases, CancellationToken cancellationToken)
    {
        var rows = await cases.ListAsync(storeId, outcome, Math.Clamp(top ?? 50, 1, 500), cancellationToken);
        return Results.Ok(rows.Select(r => new
        {
            rma = r.RowKey,
            status = r.GetString("Status"),
            problem = r.GetString("Problem"),
            outcome = r.GetString("Outcome"),
            rule = r.GetString("Rule"),
            reason = r.GetString("Reason"),
            orderId = r.GetInt64("OrderId"),
            createdAt = r.GetDateTimeOffset("CreatedAt"),
            refundedAt = r.GetDateTimeOffset("RefundedAt"),
        }));
    }

    private static async Task<IResult> DecideAsync(
        string storeId,
        string rma,
        ReviewDecision body,
        StoreRegistry stores,
        ReturnPolicies policies,
        ReturnCases cases,
        DurableTaskClient durable,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        if (stores.Find(storeId) is null || policies.For(storeId) is not { } policy) return Results.NotFound();
        if (await cases.GetAsync(storeId, rma, cancellationToken) is not { } returnCase) return Results.NotFound();
        if (returnCase.Decision.Outcome != ReturnOutcome.ManualReview)
        {
            // Decided by an operator, and its flow has not closed it: the first hand-over may have failed after the
            // decision was recorded (the operator saw a 5xx and asks again). Hand it over again; a flow already past
            // its wait ignores the event.
            if (returnCase.Decision.Rule.StartsWith("manual:", StringComparison.Ordinal) && await cases.GetStatusAsync(storeId, rma, cancellationToken) == ReturnCases.Decided)
                await StartReturnFlow.AfterReviewAsync(durable, storeId, rma, new ReturnReviewed(returnCase.Decision.Outcome, returnCase.Decision.Rule), cancellationToken);
            return Results.Problem(detail: $"Return {rma} is {returnCase.Decision.Outcome}, not in review.", statusCode: StatusCodes.Status409Conflict);
        }

        var value = returnCase.Decision.ItemsValue;
        ReturnDecision? decision = body.Decision?.Trim().ToLowerInvariant() switch
        {
            "approve" => new ReturnDecision(ReturnOutcome.Approved, "manual:approve", body.Reason ?? "Your return is approved.")
            {
                Fee = body.Fee ?? policy.HandlingFee,
                ItemsValue = value,
                FreeShippingOnReplacement = returnCase.Request.Wish == ReturnWish.Exchange && policy.ExchangeFreeShipping,
            },
            "keep-it" or "keepit" => new ReturnDecision(ReturnOutcome.KeepIt, "manual:keep-it", body.Reason ?? "Please keep the items; there is nothing to send back.") { ItemsValue = value },
            "decline" when !string.IsNullOrWhiteSpace(body.Reason) => ReturnDecision.Declined("manual:decline", DeclineReason.Other, body.Reason.Trim()) with { ItemsValue = value },
            _ => null,
        };
        if (decision is null)
            return Results.Problem(detail: "decision must be approve, keep-it or decline (decline needs a reason the customer will read).", statusCode: StatusCodes.Status400BadRequest);
        if (decision.Fee < 0) return Results.Problem(detail: "fee must not be negative.", statusCode: StatusCodes.Status400BadRequest);

        var (warehouse, routedBecause) = decision.Outcome == ReturnOutcome.Approved
            ? WarehouseRouting.Choose(policy, returnCase.Order, returnCase.Request.Items)
            : (null, null);
        var decided = returnCase with { Decision = decision, WarehouseId = warehouse?.Id, RoutedBecause = routedBecause };
        if (!await cases.ReplaceReviewedAsync(decided, cancellationToken))
            return Results.Problem(detail: $"Return {rma} was decided by someone else meanwhile.", statusCode: StatusCodes.Status409Conflict);

        // The flow that held the return waits for this; it reads the new decision from the row and carries it out.
        await StartReturnFlow.AfterReviewAsync(durable, storeId, rma, new ReturnReviewed(decision.Outcome, decision.Rule), cancellationToken);
        logger.LogInformation("Return {Rma} for store {StoreId} reviewed: {Outcome}", rma, storeId, decision.Outcome);
        return Results.Accepted(value: new { rma, outcome = decision.Outcome.ToString(), rule = decision.Rule, reason = decision.Reason, fee = decision.Fee });
    }
}
