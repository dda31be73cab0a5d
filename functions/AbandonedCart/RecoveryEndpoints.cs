using Automation.Stores;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.AbandonedCart;

/// <summary>The recovery emails' unsubscribe link, and the store's recovery figures for operators.</summary>
public sealed class RecoveryEndpoints(UnsubscribeTokens tokens, StoreRegistry stores, CheckoutRecovery recovery, RecoveryStats stats)
{
    /// <summary>The link in every recovery email (GET), and RFC 8058 one-click from the List-Unsubscribe-Post header (POST).</summary>
    [Function("Unsubscribe")]
    public async Task<IResult> Unsubscribe([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "unsubscribe")] HttpRequest request, [DurableClient] DurableTaskClient client)
    {
        if (tokens.Verify(request.Query["token"].FirstOrDefault()) is not { } subject || stores.Find(subject.StoreId) is null)
            return Results.Content("<!doctype html><p>This unsubscribe link is not valid.</p>", "text/html", statusCode: StatusCodes.Status400BadRequest);

        await recovery.UnsubscribeAsync(client, subject.StoreId, subject.CustomerKey, request.HttpContext.RequestAborted);
        return Results.Content("<!doctype html><p>You are unsubscribed: we will not send you cart reminders again.</p>", "text/html");
    }

    [Function("GetRecoveryStats")]
    public async Task<IResult> Stats([HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores/{storeId}/stats")] HttpRequest request, string storeId,
        [DurableClient] DurableTaskClient client) =>
        stores.Find(storeId) is null ? Results.NotFound() : Results.Ok(await stats.ComputeAsync(client, storeId, request.HttpContext.RequestAborted));
}
